"""`SqlOrderRepository` as the order-change tool's store, on both engines: wishes recorded only before shipping (a newer
one of a kind replaces the older), and a cancellation that puts the units back, gives the unexpired coupons back and
happens once, even when two requests race."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from server.db.models import Coupon, Order, OrderLine, Product
from server.db.orders import SqlOrderRepository
from tools.commerce.ports import OrderAlreadyShipped, OrderChangeRepository

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def paid(seeded) -> str:
    """A paid, unshipped order of C00001 with two units of P0003, and two coupons used on it (one since expired)."""
    with seeded.begin() as s:
        s.add(Order(id="KF10000009", customer_id="C00001", status="paid", placed_at=NOW - timedelta(hours=3),
                    paid_at=NOW - timedelta(hours=3), total=Decimal("78.00"), shipping_address="No. 1"))
        s.flush()
        s.add(OrderLine(id=100, order_id="KF10000009", product_id="P0003", quantity=2, unit_price=Decimal("39")))
        s.add(Coupon(code="LIVE", customer_id="C00001", discount=Decimal("5"), expires_at=NOW + timedelta(days=9),
                     status="used", used_order_id="KF10000009"))
        s.add(Coupon(code="GONE", customer_id="C00001", discount=Decimal("5"), expires_at=NOW - timedelta(days=1),
                     status="used", used_order_id="KF10000009"))
    return "KF10000009"


def test_implements_the_port(seeded) -> None:
    assert isinstance(SqlOrderRepository(seeded), OrderChangeRepository)


def test_a_newer_wish_of_a_kind_replaces_the_older_and_the_order_shows_the_active_ones(seeded, paid: str) -> None:
    repo = SqlOrderRepository(seeded)
    repo.record_wish(order_id=paid, kind="courier", value="zto", conversation_id="c1", now=NOW)
    repo.record_wish(order_id=paid, kind="ship_after", value="2026-11-15", conversation_id="c1", now=NOW)
    repo.record_wish(order_id=paid, kind="courier", value="sf", conversation_id="c2", now=NOW)
    order = repo.get_order(paid)
    assert order is not None
    assert [(w.kind, w.value, w.status) for w in order.wishes] == [("ship_after", "2026-11-15", "active"),
                                                                   ("courier", "sf", "active")]


def test_no_wish_on_a_shipped_order(seeded) -> None:
    with pytest.raises(OrderAlreadyShipped):
        SqlOrderRepository(seeded).record_wish(order_id="KF10000002", kind="courier", value="sf",
                                               conversation_id=None, now=NOW)
    assert SqlOrderRepository(seeded).get_order("KF10000002").wishes == []


def test_cancelling_puts_units_back_returns_unexpired_coupons_and_happens_once(seeded, paid: str) -> None:
    repo = SqlOrderRepository(seeded)
    with seeded() as s:
        before = s.get(Product, "P0003").stock
    repo.record_wish(order_id=paid, kind="courier", value="jd", conversation_id="c1", now=NOW)
    done = repo.cancel_order(order_id=paid, conversation_id="c1", now=NOW)
    assert (done.refund_amount, done.coupons_returned, done.units_restocked) == (Decimal("78.00"), ["LIVE"], 2)
    with seeded() as s:
        assert s.get(Product, "P0003").stock == before + 2
        assert (s.get(Coupon, "LIVE").status, s.get(Coupon, "LIVE").used_order_id) == ("issued", None)
        assert s.get(Coupon, "GONE").status == "used"  # expired: not given back
    order = repo.get_order(paid)
    assert order.status == "cancelled" and [(w.kind, w.status) for w in order.wishes] == [("cancel", "done")]
    with pytest.raises(OrderAlreadyShipped):
        repo.cancel_order(order_id=paid, conversation_id="c1", now=NOW)
    with seeded() as s:
        assert s.get(Product, "P0003").stock == before + 2  # not twice


def test_two_racing_cancellations_cancel_once(seeded, paid: str) -> None:
    repo = SqlOrderRepository(seeded)
    with seeded() as s:
        before = s.get(Product, "P0003").stock

    def cancel() -> bool:
        try:
            repo.cancel_order(order_id=paid, conversation_id=None, now=NOW)
            return True
        except OrderAlreadyShipped:
            return False

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda _: cancel(), range(2)))
    assert sorted(outcomes) == [False, True]
    with seeded() as s:
        assert s.get(Product, "P0003").stock == before + 2
