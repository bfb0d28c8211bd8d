"""The store's data ports in memory: a tiny catalogue and the orders of customers C1 and C2, fixed at `NOW`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import ClassVar

from tools.commerce.ports import (
    CategoryView,
    OrderLineView,
    OrderView,
    ProductView,
    ReturnView,
    ShipmentView,
    TrackingEventView,
    same_contact,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

# Data tables: one record a line reads better than one field a line.
# fmt: off
CATEGORIES = [
    CategoryView("phone", "手机", "Phones", ["手机", "智能手机"], ["phone", "phones", "smartphone"]),
    CategoryView("phone_case", "手机壳", "Phone cases", ["手机壳", "保护壳"], ["phone case", "phone cases", "case"]),
    CategoryView("coffee_beans", "咖啡豆", "Coffee beans", ["咖啡豆"], ["coffee beans"], returnable=False),
]


def _line(line_id: int, pid: str, zh: str, en: str, cat: str, price: str, returnable: bool = True) -> OrderLineView:
    return OrderLineView(line_id, pid, zh, en, cat, 1, Decimal(price), returnable)


def _shipment(sid: int, status: str, shipped: datetime, delivered: datetime | None) -> ShipmentView:
    events = [
        TrackingEventView(shipped, "picked_up", "深圳", "Shenzhen", "快件已揽收", "Parcel picked up"),
        TrackingEventView(shipped + timedelta(hours=8), "in_transit", "上海转运中心", "Shanghai hub",
                          "快件已到达上海转运中心", "Arrived at the Shanghai hub"),
    ]
    if delivered:
        events.append(TrackingEventView(delivered, "delivered", "上海", "Shanghai", "已签收", "Delivered"))
    return ShipmentView(sid, "SF Express", f"SF{sid:010d}", status, shipped, delivered,
                        shipped + timedelta(days=2), events)


class MemoryOrders:
    """Customer C1 owns KF10000001 (delivered 2 days ago), KF10000002 (in transit), KF10000003 (delivered
    30 days ago), KF10000004 (coffee beans, delivered 1 day ago); C2 owns KF20000001. Contacts on file:
    C1 13800138000 / c1@example.com, C2 13900139000 / c2@example.com."""

    CONTACTS: ClassVar[dict[str, tuple[str, str]]] = {
        "C1": ("13800138000", "c1@example.com"),
        "C2": ("13900139000", "c2@example.com"),
    }

    def __init__(self) -> None:
        d2, d30, d1 = NOW - timedelta(days=2), NOW - timedelta(days=30), NOW - timedelta(days=1)
        self.orders = {
            "KF10000001": OrderView("KF10000001", "C1", "delivered", d2 - timedelta(days=3), Decimal("59.00"), "CNY",
                                    [_line(1, "P0002", "透明手机壳", "Clear phone case", "phone_case", "59.00")],
                                    _shipment(1, "delivered", d2 - timedelta(days=2), d2)),
            "KF10000002": OrderView("KF10000002", "C1", "shipped", NOW - timedelta(days=2), Decimal("3999.00"), "CNY",
                                    [_line(2, "P0001", "星耀手机 X", "Star Phone X", "phone", "3999.00")],
                                    _shipment(2, "in_transit", NOW - timedelta(days=1), None)),
            "KF10000003": OrderView("KF10000003", "C1", "delivered", d30 - timedelta(days=3), Decimal("59.00"), "CNY",
                                    [_line(3, "P0002", "透明手机壳", "Clear phone case", "phone_case", "59.00")],
                                    _shipment(3, "delivered", d30 - timedelta(days=2), d30)),
            "KF10000004": OrderView("KF10000004", "C1", "delivered", d1 - timedelta(days=3), Decimal("88.00"), "CNY",
                                    [_line(4, "P0003", "意式咖啡豆", "Espresso beans", "coffee_beans", "88.00", False)],
                                    _shipment(4, "delivered", d1 - timedelta(days=2), d1)),
            "KF20000001": OrderView("KF20000001", "C2", "shipped", NOW - timedelta(days=1), Decimal("3999.00"), "CNY",
                                    [_line(5, "P0001", "星耀手机 X", "Star Phone X", "phone", "3999.00")],
                                    _shipment(5, "in_transit", NOW - timedelta(hours=20), None)),
        }
        self.returns: list[ReturnView] = []

    def get_order(self, order_id: str) -> OrderView | None:
        return self.orders.get(order_id)

    def contact_matches(self, order_id: str, contact: str) -> bool:
        order = self.orders.get(order_id)
        if order is None:
            return False
        phone, email = self.CONTACTS[order.customer_id]
        return same_contact(contact, phone=phone, email=email)

    def list_orders(self, customer_id: str, *, limit: int = 5) -> list[OrderView]:
        mine = [o for o in self.orders.values() if o.customer_id == customer_id]
        return sorted(mine, key=lambda o: o.placed_at, reverse=True)[:limit]

    def create_return(self, *, order_id: str, line_ids: list[int], kind: str, reason: str,
                      refund_amount: Decimal, now: datetime, key: str | None = None) -> ReturnView:
        filed = next((r for r in self.returns if key is not None and r.request_key == key), None)
        if filed is not None:  # the same idempotency key: filed once
            return filed
        ret = ReturnView(f"R{len(self.returns) + 1:08d}", order_id, line_ids, kind, "requested", reason,
                         refund_amount, now, key)
        self.returns.append(ret)
        order = self.orders[order_id]
        self.orders[order_id] = replace(order, returns=[*order.returns, ret])
        return ret


class MemoryCatalog:
    def __init__(self) -> None:
        self.products = [
            ProductView("P0001", "星耀手机 X", "Star Phone X", "phone", "手机", "Phones", Decimal("3999"), 5),
            ProductView("P0002", "透明手机壳", "Clear phone case", "phone_case", "手机壳", "Phone cases", Decimal("59"), 50),
            ProductView("P0004", "皮革手机壳", "Leather phone case", "phone_case", "手机壳", "Phone cases", Decimal("99"), 0),
        ]

    def categories(self) -> list[CategoryView]:
        return CATEGORIES

    def search(self, *, text: str | None = None, category: str | None = None, limit: int = 5) -> list[ProductView]:
        hits = [p for p in self.products if category is None or p.category == category]
        if text:
            hits = [p for p in hits if text.lower() in (p.name_en.lower() + p.name_zh)]
        return sorted(hits, key=lambda p: p.stock == 0)[:limit]


# fmt: on
# category key -> its zh and en keywords and names, what `NLU(categories)` reads (server.runtime builds the same)
LEXICON = {c.key: [*c.keywords_zh, *c.keywords_en, c.name_zh, c.name_en] for c in CATEGORIES}
