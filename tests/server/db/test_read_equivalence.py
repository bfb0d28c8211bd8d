"""Issue 17: the Core read paths (orders, shopper history, product search) return exactly what the ORM paths they
replaced returned (`legacy_reads`), on a demo store with returns, wishes and a cancelled order added, on SQLite
and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from server.db.catalog import SqlProductCatalog
from server.db.engine import make_engine, make_session_factory
from server.db.models import Category, Coupon, Customer, Order, OrderLine
from server.db.offers import SqlCampaignStore
from server.db.orders import SqlOrderRepository
from server.demo.build import build_demo_store
from tests.conftest import DEMO_AS_OF
from tests.server.db.legacy_reads import orm_get_order, orm_history, orm_list_orders, orm_search

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
QUERIES = [
    "手机",
    "phone case",
    "华为 手机壳",
    "iphone",
    "耳机 降噪",
    "coffee",
    "咖啡豆",
    "小米",
    "apple charger",
    "蓝牙 耳机",
    "no such thing xyz",
    "的",
    "case",
    "充电器",
    "screen protector",
    "sony",
]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    """A small demo store, plus what the demo lacks: open and replaced wishes, multi-line returns, a cancellation,
    child categories."""
    if request.param == "sqlite":
        yield from _store(f"sqlite:///{tmp_path_factory.mktemp('equiv') / 'kefu.db'}")
    else:
        from tests.services import fresh_pg_database

        with fresh_pg_database() as url:
            yield from _store(url)


def _store(url: str) -> Iterator[sessionmaker[Session]]:
    build_demo_store(url, seed=7, as_of=DEMO_AS_OF, customers=30, orders=200)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    repo = SqlOrderRepository(sessions)
    with sessions.begin() as s:  # a parent category: searching it searches its children too
        s.execute(
            update(Category).where(Category.key.in_(("phone_case", "screen_protector"))).values(parent_key="phone")
        )
    with sessions.begin() as s:  # coupons used on orders, two on one order (counted once)
        codes = list(s.scalars(select(Coupon.code).where(Coupon.status == "issued").order_by(Coupon.code).limit(4)))
        used_on = list(s.scalars(select(Order.id).where(Order.status == "delivered").order_by(Order.id).limit(3)))
        for code, order_id in zip(codes, [*used_on, used_on[0]], strict=False):
            s.execute(update(Coupon).where(Coupon.code == code).values(status="used", used_order_id=order_id))
    with sessions() as s:
        unshipped = list(
            s.scalars(select(Order.id).where(Order.status.in_(("paid", "pending_payment"))).order_by(Order.id))
        )
        multi = list(s.execute(select(OrderLine.order_id, OrderLine.id).order_by(OrderLine.order_id, OrderLine.id)))
    for i, order_id in enumerate(unshipped[:4]):
        repo.record_wish(order_id=order_id, kind="courier", value="sf", conversation_id=None, now=NOW)
        repo.record_wish(order_id=order_id, kind="courier", value="jd", conversation_id=f"c{i}", now=NOW)
        repo.record_wish(order_id=order_id, kind="ship_after", value="2026-12-01", conversation_id=None, now=NOW)
    if len(unshipped) > 4:
        repo.cancel_order(order_id=unshipped[4], conversation_id="c-cancel", now=NOW)
    lines: dict[str, list[int]] = {}
    for order_id, line_id in multi:
        lines.setdefault(order_id, []).append(line_id)
    several = [(o, ids) for o, ids in lines.items() if len(ids) > 1][:3]
    for order_id, ids in several:
        repo.create_return(
            order_id=order_id,
            line_ids=list(reversed(ids)),
            kind="quality",
            reason="坏了 broken",
            refund_amount=Decimal("10.00"),
            now=NOW,
            key=f"k-{order_id}",
        )
        repo.create_return(
            order_id=order_id, line_ids=ids[:1], kind="no_reason", reason="", now=NOW, refund_amount=Decimal("1.50")
        )
    try:
        yield sessions
    finally:
        engine.dispose()


def _ids(sessions: sessionmaker[Session], column) -> list[str]:
    with sessions() as s:
        return list(s.scalars(select(column).order_by(column)))


def test_get_order_and_list_orders_match_the_orm_views(store: sessionmaker[Session]) -> None:
    repo = SqlOrderRepository(store)
    orders = _ids(store, Order.id)
    seen = {"shipment": 0, "events": 0, "returns": 0, "wishes": 0, "cancelled": 0}
    for order_id in [*orders, "KF99999999"]:
        view = repo.get_order(order_id)
        assert view == orm_get_order(store, order_id), order_id
        if view is not None:
            seen["shipment"] += view.shipment is not None
            seen["events"] += bool(view.shipment and view.shipment.events)
            seen["returns"] += bool(view.returns)
            seen["wishes"] += bool(view.wishes)
            seen["cancelled"] += view.status == "cancelled"
    # the store exercises every part of a view (else equality would prove little)
    assert all(seen.values()), seen
    for customer_id in [*_ids(store, Customer.id), "C99999"]:
        for limit in (0, 5, 200):
            assert repo.list_orders(customer_id, limit=limit) == orm_list_orders(store, customer_id, limit=limit)


def test_wish_and_return_details_survive(store: sessionmaker[Session]) -> None:
    """Fixed expectations from what _store wrote: the replaced courier wish is gone, return lines are sorted."""
    repo = SqlOrderRepository(store)
    wished = [o for o in map(repo.get_order, _ids(store, Order.id)) if o and o.wishes]
    assert wished and all(
        [(w.kind, w.value) for w in o.wishes] == [("courier", "jd"), ("ship_after", "2026-12-01")] for o in wished
    )
    mine = "坏了 broken"
    returned = [o for o in map(repo.get_order, _ids(store, Order.id)) if o and any(r.reason == mine for r in o.returns)]
    assert len(returned) == 3
    for order in returned:
        quality = next(r for r in order.returns if r.reason == mine)
        assert quality.line_ids == sorted(ln.line_id for ln in order.lines)
        assert quality.request_key == f"k-{order.order_id}"


def test_shopper_history_matches_the_orm_path(store: sessionmaker[Session]) -> None:
    campaigns = SqlCampaignStore(store)
    with store.begin() as s:  # a customer without orders
        s.add(
            Customer(
                id="C-EMPTY",
                name="Nobody",
                language="en",
                email="n@example.com",
                phone="13900000000",
                address="",
                tier="regular",
                created_at=NOW,
            )
        )
    try:
        priced = used = 0
        for customer_id in [*_ids(store, Customer.id), "C99999"]:
            new, old = campaigns.history(customer_id), orm_history(store, customer_id)
            if old is None or old.price_position is None:
                assert new == old, customer_id
                continue
            priced += 1
            used += new.with_coupon
            assert new is not None and (new.orders, new.with_coupon) == (old.orders, old.with_coupon), customer_id
            # the mean is summed in line order now (the ORM path summed in whatever order rows came back)
            assert new.price_position == pytest.approx(old.price_position, rel=1e-12, abs=1e-15), customer_id
        assert priced > 10 and used >= 3
        assert (
            campaigns.history("C-EMPTY") == orm_history(store, "C-EMPTY") and campaigns.history("C-EMPTY").orders == 0
        )
    finally:
        with store.begin() as s:
            s.delete(s.get(Customer, "C-EMPTY"))


def test_search_matches_the_orm_path(store: sessionmaker[Session]) -> None:
    catalog = SqlProductCatalog(store)
    categories = [None, "phone", *_ids(store, Category.key)[::4]]  # phone: a parent (see _store)
    found = 0
    for text in [None, "", "  ", *QUERIES]:
        for category in categories:
            for limit in (3, 50):
                new = catalog.search(text=text, category=category, limit=limit)
                assert new == orm_search(catalog, store, text=text, category=category, limit=limit), (text, category)
                found += bool(new)
    assert found > 100
    for text in QUERIES:  # again: now from the cached statements
        assert catalog.search(text=text, limit=5) == orm_search(catalog, store, text=text, limit=5), text
    product_ids = [p.product_id for p in catalog.every()]
    assert len(product_ids) > 100 and catalog.get(product_ids[0]).product_id == product_ids[0]
    assert catalog.get("P-none") is None


def test_recommendation_baskets_match_the_orm_path(store: sessionmaker[Session]) -> None:
    """A customer's baskets as the recommender reads them (oldest first, a cancelled order left out) are what the ORM
    read returned, for every customer and for an unknown one."""
    from server.db.purchases import SqlShopperData
    from tests.server.db.legacy_reads import orm_purchases

    data = SqlShopperData(store, SqlProductCatalog(store))
    several = 0
    for customer_id in [*_ids(store, Customer.id), "C99999"]:
        baskets = data.purchases(customer_id)
        assert baskets == orm_purchases(store, customer_id), customer_id
        several += len(baskets) > 1
    assert several > 5 and data.purchases("C99999") == []


def test_offer_turn_reads_match_the_orm_paths(store: sessionmaker[Session]) -> None:
    """What every offer turn reads (campaigns, the customer's tier and orders, coupons, last order, category names,
    running experiments and a customer's arm) is what the ORM reads returned, an ended campaign left out."""
    from server.db.experiments import ExperimentRepository
    from server.db.models import Campaign
    from tests.server.db.legacy_reads import (
        orm_arm_of,
        orm_campaigns,
        orm_coupons,
        orm_last_order,
        orm_profile,
        orm_running_experiments,
    )
    from tools.marketing.experiments import ExperimentSpec

    campaigns, experiments = SqlCampaignStore(store), ExperimentRepository(store)
    with store.begin() as s:
        ended = s.scalars(select(Campaign.id).order_by(Campaign.id)).first()
        s.execute(update(Campaign).where(Campaign.id == ended).values(status="ended"))
    live = campaigns.campaigns()
    assert live == orm_campaigns(store) and live and ended not in {c["id"] for c in live}
    assert isinstance(live[0]["rules"], dict) and live[0]["starts_at"].tzinfo is not None
    held = ordered = 0
    for customer_id in [*_ids(store, Customer.id), "C99999"]:
        assert campaigns.profile(customer_id) == orm_profile(store, customer_id), customer_id
        coupons = campaigns.coupons(customer_id)
        assert coupons == orm_coupons(store, customer_id), customer_id
        basket = campaigns.last_order(customer_id)
        assert basket == orm_last_order(store, customer_id), customer_id
        held += bool(coupons)
        ordered += bool(basket and basket.lines)
    assert held > 5 and ordered > 10 and campaigns.profile("C99999") is None
    with store() as s:
        names = {k: (zh, en) for k, zh, en in s.execute(select(Category.key, Category.name_zh, Category.name_en))}
    assert campaigns.category_names() == names
    spec = ExperimentSpec.model_validate(
        {
            "name": "equivalence",
            "campaign_id": live[0]["id"],
            "arms": [{"key": "control"}, {"key": "low", "threshold": 280}],
            "starts_at": NOW.isoformat(),
            "ends_at": "2026-12-31T00:00:00+00:00",
        }
    )
    experiments.create("exp-equiv", spec, "tester", "", NOW)
    running = experiments.running(NOW)
    assert running == orm_running_experiments(store, NOW) and "exp-equiv" in [e.id for e in running]
    later = datetime(2027, 1, 1, tzinfo=UTC)
    assert experiments.running(later) == orm_running_experiments(store, later)
    assert "exp-equiv" not in [e.id for e in experiments.running(later)]
    customer = _ids(store, Customer.id)[0]
    assert experiments.arm_of("exp-equiv", customer) is None
    mine = next(e for e in running if e.id == "exp-equiv")
    arm, new = experiments.assign(mine, customer, "regular", "c-equiv", NOW)
    assert new and experiments.arm_of("exp-equiv", customer) == arm == orm_arm_of(store, "exp-equiv", customer)
