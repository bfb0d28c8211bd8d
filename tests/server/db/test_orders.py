"""`SqlOrderRepository` on both engines: views, ordering, transactional returns."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from server.db.errors import InvalidReturn, UnknownOrder
from server.db.models import Return, ReturnLine
from server.db.orders import SqlOrderRepository
from tools.commerce.ports import OrderRepository

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def _return(repo: SqlOrderRepository, order_id: str = "KF10000001", line_ids: list[int] | None = None,
            key: str | None = None):
    return repo.create_return(
        order_id=order_id,
        line_ids=line_ids or [2],
        kind="no_reason",
        reason="不想要了",
        refund_amount=Decimal("39.00"),
        now=NOW,
        key=key,
    )


def test_implements_port(seeded) -> None:
    assert isinstance(SqlOrderRepository(seeded), OrderRepository)


def test_order_view_has_lines_shipment_and_sorted_tracking(seeded) -> None:
    order = SqlOrderRepository(seeded).get_order("KF10000002")
    assert order is not None
    assert (order.customer_id, order.status, order.currency, order.total) == ("C00001", "shipped", "CNY", Decimal("98"))
    assert [(ln.product_id, ln.category, ln.returnable) for ln in order.lines] == [("P0005", "coffee_beans", False)]
    assert order.shipment is not None and order.shipment.tracking_no == "SF1234567890123"
    assert [e.status for e in order.shipment.events] == ["label_created", "picked_up", "in_transit"]
    assert all(e.at.tzinfo is not None for e in order.shipment.events)
    assert order.shipment.events[-1].location_en == "Hangzhou sorting centre"


def test_returnable_follows_category(seeded) -> None:
    order = SqlOrderRepository(seeded).get_order("KF10000001")
    assert [(ln.name_en, ln.returnable) for ln in order.lines] == [
        ("HUAWEI Mate 70 Pro Black", True),
        ("ESR Clear Case for HUAWEI Mate 70 Pro", True),
    ]
    assert order.shipment is None and order.returns == []


def test_unknown_order_is_none(seeded) -> None:
    assert SqlOrderRepository(seeded).get_order("KF99999999") is None


def test_list_orders_newest_first_with_limit(seeded) -> None:
    repo = SqlOrderRepository(seeded)
    assert [o.order_id for o in repo.list_orders("C00001")] == ["KF10000002", "KF10000001"]
    assert [o.order_id for o in repo.list_orders("C00001", limit=1)] == ["KF10000002"]
    assert repo.list_orders("C99999") == []


def test_create_return_ids_increase_and_show_on_order(seeded) -> None:
    repo = SqlOrderRepository(seeded)
    first = _return(repo)
    second = _return(repo, line_ids=[1, 2])
    assert (first.return_id, second.return_id) == ("R00000001", "R00000002")
    assert first.status == "requested" and first.created_at == NOW and first.line_ids == [2]
    assert first.refund_amount == Decimal("39.00")
    assert [r.return_id for r in repo.get_order("KF10000001").returns] == ["R00000001", "R00000002"]
    assert repo.get_order("KF10000001").returns[1].line_ids == [1, 2]


def test_create_return_rejects_foreign_lines_without_writing(seeded) -> None:
    repo = SqlOrderRepository(seeded)
    with pytest.raises(InvalidReturn):
        _return(repo, line_ids=[2, 4])  # line 4 belongs to another order
    with pytest.raises(UnknownOrder):
        _return(repo, order_id="KF99999999")
    with pytest.raises(InvalidReturn):
        repo.create_return(
            order_id="KF10000001", line_ids=[2], kind="because", reason="", refund_amount=Decimal(1), now=NOW
        )
    with seeded() as s:
        assert s.scalar(select(func.count()).select_from(Return)) == 0
        assert s.scalar(select(func.count()).select_from(ReturnLine)) == 0


def test_a_return_under_an_idempotency_key_is_filed_once(seeded) -> None:
    """A retried chat turn completing its recorded call gets the return it filed, not a second one."""
    repo = SqlOrderRepository(seeded)
    first = _return(repo, key="conv-1:7")
    again = _return(repo, key="conv-1:7", line_ids=[1, 2])
    other = _return(repo, key="conv-1:9")
    assert again.return_id == first.return_id and again.line_ids == [2] and other.return_id != first.return_id
    assert [r.request_key for r in repo.get_order("KF10000001").returns] == ["conv-1:7", "conv-1:9"]
    with ThreadPoolExecutor(max_workers=4) as pool:  # racing retries of one key: still one return
        raced = set(pool.map(lambda _: _return(repo, key="conv-2:3").return_id, range(8)))
    assert len(raced) == 1 and len(repo.get_order("KF10000001").returns) == 3


def test_concurrent_returns_get_unique_ids(seeded) -> None:
    repo = SqlOrderRepository(seeded)
    with ThreadPoolExecutor(max_workers=6) as pool:
        views = list(pool.map(lambda _: _return(repo), range(12)))
    assert sorted(v.return_id for v in views) == [f"R{n:08d}" for n in range(1, 13)]
