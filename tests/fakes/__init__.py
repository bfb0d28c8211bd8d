"""In-memory stand-ins for the data ports, for fast exact unit tests of agent and tools."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from agent.events import Event
from tools.commerce.ports import (
    CategoryView,
    OrderLineView,
    OrderView,
    ProductView,
    ReturnView,
    ShipmentView,
    TrackingEventView,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class MemoryEventStore:
    """Gap-free per-conversation sequence numbers, like the SQL store."""

    def __init__(self) -> None:
        self.logs: dict[str, list[Event]] = {}
        self._lock = asyncio.Lock()

    async def append(self, conversation_id: str, events: Sequence[Event]) -> list[Event]:
        async with self._lock:
            log = self.logs.setdefault(conversation_id, [])
            for event in events:
                event.seq = len(log) + 1
                log.append(event)
            return list(events)

    async def load(self, conversation_id: str, after: int = 0) -> list[Event]:
        return [e for e in self.logs.get(conversation_id, []) if e.seq > after]


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
    30 days ago), KF10000004 (coffee beans, delivered 1 day ago); C2 owns KF20000001."""

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

    def list_orders(self, customer_id: str, *, limit: int = 5) -> list[OrderView]:
        mine = [o for o in self.orders.values() if o.customer_id == customer_id]
        return sorted(mine, key=lambda o: o.placed_at, reverse=True)[:limit]

    def create_return(self, *, order_id: str, line_ids: list[int], kind: str, reason: str,
                      refund_amount: Decimal, now: datetime) -> ReturnView:
        ret = ReturnView(f"R{len(self.returns) + 1:08d}", order_id, line_ids, kind, "requested", reason,
                         refund_amount, now)
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


class KeywordRetriever:
    """Finds a passage when one of its keywords occurs in the query (exact, for unit tests)."""

    def __init__(self) -> None:
        from agent.protocols import Passage

        self.passages = [
            (("退货", "return"), Passage("returns", "退换货政策", "zh", "自签收之日起7天内可申请7天无理由退货。", 1.0)),
            (("return",), Passage("returns", "Returns and refunds", "en",
                                  "You can return items within 7 days of delivery without giving a reason.", 1.0)),
            (("发票", "invoice"), Passage("payment", "支付与发票", "zh", "电子发票在签收后24小时内开具。", 1.0)),
        ]

    def search(self, query: str, *, k: int = 3, language: str | None = None):
        out = [p for keys, p in self.passages if any(key in query.lower() for key in keys)]
        same = [p for p in out if p.language == language]
        return (same or out)[:k]


def stream_to(agent, tokens: list[str], on_delta=None):
    """Give every turn of `agent` the same token sink, appending to `tokens` (what the widget would get as
    `bot_token` frames); a turn may still pass its own `on_token`. Returns the agent."""
    handle = agent.handle

    async def sink(delta: str) -> None:
        tokens.append(delta)
        if on_delta is not None:
            on_delta(delta)

    async def handle_streamed(conversation_id, turn, *, on_token=None):
        return await handle(conversation_id, turn, on_token=on_token or sink)

    agent.handle = handle_streamed
    return agent
