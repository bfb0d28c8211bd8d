"""A tiny hand-made store for repository tests (the demo generator is tested separately)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from server.db.models import (
    Category,
    Customer,
    Order,
    OrderLine,
    Product,
    Shipment,
    TrackingEvent,
)

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def seed_store(sessions: sessionmaker[Session]) -> None:
    """Categories (one with a child), 7 products, 2 customers, 3 orders; C1's newest order is shipped."""
    with sessions.begin() as s:
        s.execute(
            insert(Category),
            [
                _cat("phone", "手机", "Phones", ["手机"], ["phone", "phones"]),
                _cat("phone_case", "手机壳", "Phone cases", ["手机壳", "保护壳"], ["case", "cases", "phone case"]),
                _cat("coffee_beans", "咖啡豆", "Coffee beans", ["咖啡豆"], ["coffee beans"], returnable=False),
                _cat("audio", "音频", "Audio", ["音频"], ["audio"]),
                _cat("earphones", "耳机", "Earphones", ["耳机"], ["earphones"], parent="audio"),
            ],
        )
        s.execute(
            insert(Product),
            [
                _prod(
                    "P0001", "华为 Mate 70 Pro 黑色", "HUAWEI Mate 70 Pro Black", "HUAWEI 华为", "phone", "6499", 5, 50
                ),
                _prod("P0002", "苹果 iPhone 16 黑色", "Apple iPhone 16 Black", "Apple 苹果", "phone", "5999", 0, 90),
                _prod(
                    "P0003",
                    "亿色 华为 Mate 70 Pro 透明壳",
                    "ESR Clear Case for HUAWEI Mate 70 Pro",
                    "ESR 亿色",
                    "phone_case",
                    "39",
                    100,
                    30,
                ),
                _prod(
                    "P0004",
                    "亿色 iPhone 16 硅胶壳",
                    "ESR Silicone Case for iPhone 16",
                    "ESR 亿色",
                    "phone_case",
                    "69",
                    100,
                    40,
                ),
                _prod(
                    "P0005",
                    "星巴克 浓缩烘焙 咖啡豆 250g",
                    "Starbucks Espresso Roast Beans 250g",
                    "Starbucks 星巴克",
                    "coffee_beans",
                    "98",
                    10,
                    10,
                ),
                _prod(
                    "P0006",
                    "索尼 WF-1000XM5 降噪耳机",
                    "Sony WF-1000XM5 Earbuds",
                    "Sony 索尼",
                    "earphones",
                    "1799",
                    7,
                    5,
                ),
                _prod("P0007", "音频 测试 配件", "Audio test accessory 100%_off", "Test", "audio", "10", 1, 0),
            ],
        )
        s.execute(
            insert(Customer),
            [
                {
                    "id": "C00001",
                    "name": "王芳",
                    "language": "zh",
                    "email": "wa***g@example.cn",
                    "phone": "138****0001",
                    "address": "上海市浦东新区张江路1号",
                    "tier": "gold",
                    "created_at": T0,
                },
                {
                    "id": "C00002",
                    "name": "Emma Smith",
                    "language": "en",
                    "email": "em***h@example.com",
                    "phone": "139****0002",
                    "address": "No. 2 Century Ave, Shanghai",
                    "tier": "regular",
                    "created_at": T0,
                },
            ],
        )
        s.execute(
            insert(Order),
            [
                _order("KF10000001", "C00001", "delivered", T0, "6538"),
                _order("KF10000002", "C00001", "shipped", T0 + timedelta(days=5), "98"),
                _order("KF10000003", "C00002", "delivered", T0 + timedelta(days=1), "69"),
            ],
        )
        s.execute(
            insert(OrderLine),
            [
                {
                    "id": 1,
                    "order_id": "KF10000001",
                    "product_id": "P0001",
                    "quantity": 1,
                    "unit_price": Decimal("6499"),
                },
                {"id": 2, "order_id": "KF10000001", "product_id": "P0003", "quantity": 1, "unit_price": Decimal("39")},
                {"id": 3, "order_id": "KF10000002", "product_id": "P0005", "quantity": 1, "unit_price": Decimal("98")},
                {"id": 4, "order_id": "KF10000003", "product_id": "P0004", "quantity": 1, "unit_price": Decimal("69")},
            ],
        )
        s.add(
            Shipment(
                id=1,
                order_id="KF10000002",
                carrier="顺丰速运 SF Express",
                tracking_no="SF1234567890123",
                status="in_transit",
                shipped_at=T0 + timedelta(days=5, hours=6),
            )
        )
        s.flush()
        # Inserted out of order on purpose: views must sort by time.
        s.execute(
            insert(TrackingEvent),
            [
                _track(T0 + timedelta(days=5, hours=20), "in_transit", "杭州转运中心", "Hangzhou sorting centre"),
                _track(T0 + timedelta(days=5, hours=3), "label_created", "上海青浦仓", "Shanghai Qingpu warehouse"),
                _track(T0 + timedelta(days=5, hours=6), "picked_up", "上海青浦仓", "Shanghai Qingpu warehouse"),
            ],
        )


def _cat(
    key: str,
    zh: str,
    en: str,
    kw_zh: list[str],
    kw_en: list[str],
    *,
    returnable: bool = True,
    parent: str | None = None,
) -> dict:
    return {
        "key": key,
        "name_zh": zh,
        "name_en": en,
        "keywords_zh": kw_zh,
        "keywords_en": kw_en,
        "returnable": returnable,
        "parent_key": parent,
    }


def _prod(pid: str, zh: str, en: str, brand: str, cat: str, price: str, stock: int, popularity: int) -> dict:
    return {
        "id": pid,
        "name_zh": zh,
        "name_en": en,
        "brand": brand,
        "category_key": cat,
        "price": Decimal(price),
        "stock": stock,
        "popularity": popularity,
        "attributes": {"colour": "black"},
        "description_zh": "",
        "description_en": "",
    }


def _order(oid: str, cid: str, status: str, placed: datetime, total: str) -> dict:
    return {
        "id": oid,
        "customer_id": cid,
        "status": status,
        "placed_at": placed,
        "paid_at": placed,
        "total": Decimal(total),
        "currency": "CNY",
        "shipping_address": "somewhere",
    }


def _track(at: datetime, status: str, zh: str, en: str) -> dict:
    return {
        "shipment_id": 1,
        "at": at,
        "status": status,
        "location_zh": zh,
        "location_en": en,
        "description_zh": f"{zh} {status}",
        "description_en": f"{en} {status}",
    }
