"""The demo store: size, realism (co-purchases, statuses), showcase customers, determinism, engines."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from server.db.catalog import SqlProductCatalog
from server.db.conversations import ConversationRepository
from server.db.customers import CustomerRepository
from server.db.engine import make_engine, make_session_factory
from server.db.models import (
    SHIPMENT_STATUSES,
    Base,
    Campaign,
    Conversation,
    Coupon,
    CouponIssue,
    Customer,
    DialogueEvent,
    Order,
    OrderLine,
    Product,
    Shipment,
    TrackingEvent,
)
from server.db.orders import SqlOrderRepository
from server.demo.build import DemoStoreExists, build_demo_store, store_has_products
from server.demo.generate import reference_now
from server.operators.campaign_readout import campaign_readout

pytestmark = pytest.mark.integration
AS_OF = date(2026, 11, 20)
SMALL = {"customers": 60, "orders": 400}
COMPLEMENTS = [
    ("phone", "phone_case"),
    ("phone", "screen_protector"),
    ("phone", "charger"),
    ("camera", "memory_card"),
    ("camera", "tripod"),
    ("laptop", "mouse"),
    ("laptop", "laptop_bag"),
    ("coffee_machine", "coffee_beans"),
    ("electric_toothbrush", "toothbrush_heads"),
    ("smartwatch", "watch_strap"),
]


@pytest.fixture(scope="module")
def full_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Any]:
    """The default-size store (1,000 customers, 10,000 orders) on SQLite, built once."""
    url = f"sqlite:///{tmp_path_factory.mktemp('full-demo') / 'kefu.db'}"
    return url, build_demo_store(url, seed=7, as_of=AS_OF)


def _rows(engine: Engine, table: str) -> list[tuple]:
    t = Base.metadata.tables[table]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]


def _baskets(engine: Engine) -> list[list[tuple[str, dict]]]:
    stmt = (
        select(OrderLine.order_id, Product.category_key, Product.attributes)
        .join(Product)
        .order_by(OrderLine.order_id, OrderLine.id)
    )
    baskets: dict[str, list[tuple[str, dict]]] = {}
    with engine.connect() as conn:
        for oid, cat, attrs in conn.execute(stmt):
            baskets.setdefault(oid, []).append((cat, attrs))
    return list(baskets.values())


def test_default_build_is_big_and_fast(full_store) -> None:
    _url, report = full_store
    counts = report.counts
    assert counts["products"] >= 300 and counts["categories"] >= 14
    assert counts["customers"] == 1000 and counts["orders"] == 10000
    assert counts["order_lines"] > counts["orders"] and counts["tracking_events"] > 5 * counts["shipments"]
    assert counts["returns"] > 0 and counts["coupons"] > 0 and counts["campaigns"] > 0
    assert counts["conversations"] > 300 and counts["dialogue_events"] > 4 * counts["conversations"]
    # each campaign's history starts with who set it up; the dynamic threshold's has its move and the pin after
    assert counts["campaign_changes"] == counts["campaigns"] + 2
    assert report.seconds < 60
    assert str(report).startswith("demo store (seed 7, as of 2026-11-20)")


def test_catalog_content(full_store) -> None:
    engine = make_engine(full_store[0])
    try:
        products = _rows(engine, "products")
        per_category = Counter(p[4] for p in products)
        assert len(per_category) == 21 and min(per_category.values()) >= 5
        with engine.connect() as conn:
            returnable = dict(conn.execute(select(Base.metadata.tables["categories"].c["key", "returnable"])).all())
        assert {k for k, v in returnable.items() if not v} == {
            "coffee_beans",
            "electric_toothbrush",
            "toothbrush_heads",
            "gift_card",
        }
        assert len({p[1] for p in products}) == len(products) == len({p[2] for p in products})  # unique names
        assert any(p[6] == 0 for p in products) and any(p[6] > 0 for p in products)
        assert all(Decimal("10") <= p[5] <= Decimal("20000") for p in products)
        cases = [p for p in products if p[4] == "phone_case"]
        assert all(p[8]["compatible_with"] for p in cases)
    finally:
        engine.dispose()


def test_customers_languages_and_tiers(full_store) -> None:
    engine = make_engine(full_store[0])
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(Customer.language, Customer.tier, Customer.name, Customer.email)).all()
        languages = Counter(r.language for r in rows)
        assert 0.5 < languages["zh"] / len(rows) < 0.7
        assert set(Counter(r.tier for r in rows)) == {"regular", "silver", "gold", "platinum"}
        assert all(r.email.split("@")[1].startswith("example.") for r in rows)
        zh_names = [r.name for r in rows if r.language == "zh"]
        assert all("\u4e00" <= n[0] <= "\u9fff" for n in zh_names)
    finally:
        engine.dispose()


def test_baskets_carry_complements(full_store) -> None:
    engine = make_engine(full_store[0])
    try:
        baskets = _baskets(engine)
    finally:
        engine.dispose()
    cats = [{c for c, _ in b} for b in baskets]
    for main, extra in COMPLEMENTS:
        with_main = [c for c in cats if main in c]
        without = [c for c in cats if main not in c]
        p_with = sum(extra in c for c in with_main) / len(with_main)
        p_without = sum(extra in c for c in without) / len(without)
        assert p_with > 0.2 and p_with > 2.5 * p_without, (main, extra, p_with, p_without)
    # Cases bought with a phone fit that phone.
    fits = total = 0
    for basket in baskets:
        phones = {a["model"] for c, a in basket if c == "phone"}
        for c, a in basket:
            if c == "phone_case" and phones:
                total += 1
                fits += bool(phones & set(a["compatible_with"]))
    assert total > 100 and fits / total > 0.9


def test_statuses_and_timelines(full_store) -> None:
    engine = make_engine(full_store[0])
    now = reference_now(AS_OF)
    try:
        with engine.connect() as conn:
            orders = conn.execute(select(Order.status, Order.placed_at)).all()
            shipments = conn.execute(select(Shipment.id, Shipment.status, Shipment.delivered_at)).all()
            events = conn.execute(
                select(TrackingEvent.shipment_id, TrackingEvent.at, TrackingEvent.status).order_by(
                    TrackingEvent.shipment_id, TrackingEvent.id
                )
            ).all()
            returns = _rows(engine, "returns")
    finally:
        engine.dispose()
    assert set(Counter(o.status for o in orders)) == {"pending_payment", "paid", "shipped", "delivered", "cancelled"}
    assert all(now - timedelta(days=366) <= o.placed_at < now for o in orders)
    old = [o.status for o in orders if o.placed_at < now - timedelta(days=30)]
    assert set(old) <= {"delivered", "cancelled"}
    assert set(Counter(s.status for s in shipments)) == set(SHIPMENT_STATUSES)
    by_shipment: dict[int, list] = {}
    for e in events:
        by_shipment.setdefault(e.shipment_id, []).append(e)
    for s in shipments:
        evs = by_shipment[s.id]
        assert evs[0].status == "label_created" and evs[-1].status == s.status
        assert all(a.at <= b.at for a, b in pairwise(evs)) and evs[-1].at <= now
        assert (s.delivered_at is not None) == (s.status == "delivered")
    delivered = sum(o.status == "delivered" for o in orders)
    assert 0.02 < len(returns) / delivered < 0.1
    assert {r[3] for r in returns} == {"requested", "approved", "received", "refunded", "rejected"}


def test_showcase_customers(demo_store_url: str, demo_as_of: date) -> None:
    engine = make_engine(demo_store_url)
    sessions = make_session_factory(engine)
    repo = SqlOrderRepository(sessions)
    try:
        demo = CustomerRepository(sessions).list_demo(limit=20)
        assert [c["customer_id"] for c in demo] == [f"C{n:05d}" for n in range(1, 21)]
        assert [c["language"] for c in demo] == ["zh", "en"] * 10
        for customer in demo:
            orders = repo.list_orders(customer["customer_id"], limit=10)
            moving, recent, old = orders[:3]
            assert len(orders) >= 4, "older history too"
            assert orders[3].placed_at < reference_now(demo_as_of) - timedelta(days=40)
            assert [o["order_id"] for o in customer["orders"]] == [moving.order_id, recent.order_id, old.order_id]
            # (b) shipped yesterday, in transit, tracking with a located latest event
            assert moving.status == "shipped" and moving.shipment.status == "in_transit"
            assert moving.shipment.shipped_at.date() == demo_as_of - timedelta(days=1)
            assert len(moving.shipment.events) >= 3
            last = moving.shipment.events[-1]
            assert last.location_zh and last.location_en and last.description_zh and last.description_en
            assert moving.shipment.eta > reference_now(demo_as_of)
            # (a) delivered two days ago with a returnable phone case
            assert recent.status == "delivered" and recent.shipment.status == "delivered"
            assert recent.shipment.delivered_at.date() == demo_as_of - timedelta(days=2)
            assert any(ln.category == "phone_case" and ln.returnable for ln in recent.lines)
            assert recent.returns == []
            # (c) delivered 30 days ago
            assert old.status == "delivered" and old.shipment.delivered_at.date() == demo_as_of - timedelta(days=30)
    finally:
        engine.dispose()


def test_demo_catalog_search(demo_store_url: str) -> None:
    engine = make_engine(demo_store_url)
    try:
        catalog = SqlProductCatalog(make_session_factory(engine))
        found = catalog.search(text="华为手机壳", limit=5)
        assert found and all(p.category == "phone_case" and "华为" in p.name_zh for p in found)
        found = catalog.search(text="Sony headphones", limit=5)
        assert found and all(p.category == "earphones" and p.brand.startswith("Sony") for p in found)
        stocked = catalog.search(category="phone", limit=50)
        assert [p.stock > 0 for p in stocked] == sorted((p.stock > 0 for p in stocked), reverse=True)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def seeded_stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    """Three small stores built once for the module: two with seed 3, one with seed 4 (each table's test reads them)."""
    folder = tmp_path_factory.mktemp("seeded-stores")
    urls = tuple(f"sqlite:///{folder / name}.db" for name in ("a", "b", "c"))
    for url, seed in zip(urls, (3, 3, 4), strict=True):
        build_demo_store(url, seed=seed, as_of=AS_OF, **SMALL)
    return urls


@pytest.mark.parametrize("table", ["products", "customers", "orders", "order_lines", "tracking_events", "coupons",
                                   "conversations", "dialogue_events", "reviews", "browse_events"])
def test_same_seed_same_rows_other_seed_other_rows(seeded_stores: tuple[str, str, str], table: str) -> None:
    engines = [make_engine(u) for u in seeded_stores]
    try:
        a, b, c = (_rows(e, table) for e in engines)
    finally:
        for e in engines:
            e.dispose()
    assert a == b
    if table != "products":  # the catalog itself is fixed; stock and popularity vary
        assert a != c
    else:
        assert [r[:6] for r in a] == [r[:6] for r in c] and a != c


def test_offer_history_follows_the_stores_rules(full_store) -> None:
    """The past offer conversations read like the tools wrote them: claims carry the claim tool's key and time,
    stay within budgets and per-customer limits, and are redeemed only on a later order of the same customer,
    before they expire, lowering its total; the scripted demo customers have no such history."""
    engine = make_engine(full_store[0])
    now = reference_now(AS_OF)
    try:
        with engine.connect() as conn:
            events = conn.execute(select(DialogueEvent.conversation_id, DialogueEvent.type, DialogueEvent.payload,
                                         DialogueEvent.at)).all()
            conversations = {c.id: c for c in conn.execute(select(Conversation))}
            coupons = {c.code: c for c in conn.execute(select(Coupon))}
            orders = {o.id: o for o in conn.execute(select(Order))}
            subtotal = dict(conn.execute(select(OrderLine.order_id, func.sum(OrderLine.unit_price * OrderLine.quantity))
                                         .group_by(OrderLine.order_id)).all())
            campaigns = {c.id: c for c in conn.execute(select(Campaign))}
    finally:
        engine.dispose()
    types = Counter(e.type for e in events)
    assert types["offer_made"] > 500 and types["coupon_issued"] > 10
    assert types["conversation_started"] == len(conversations)
    assert all(c.created_at < now and c.handoff == "bot" for c in conversations.values())
    scripted = {f"C{n:05d}" for n in range(1, 29)}
    assert not {c.customer_id for c in conversations.values()} & scripted
    assert any(c.customer_id is None for c in conversations.values())  # visitors who were not signed in
    offered = {(e.conversation_id, e.payload["offer_id"]) for e in events if e.type == "offer_made"}
    for e in (e for e in events if e.type == "coupon_issued"):
        coupon = coupons[e.payload["code"]]
        assert coupon.claim_key == f"{e.conversation_id}:{coupon.campaign_id}" and coupon.issued_at == e.at
        assert (e.conversation_id, coupon.campaign_id) in offered
        assert coupon.customer_id == conversations[e.conversation_id].customer_id
        if coupon.status == "used":
            order = orders[coupon.used_order_id]
            assert order.customer_id == coupon.customer_id and coupon.issued_at < order.placed_at <= coupon.expires_at
            assert order.total == subtotal[order.id] - order.campaign_discount - coupon.discount
    held = Counter((c.customer_id, c.campaign_id) for c in coupons.values() if c.claim_key)
    assert all(n <= (campaigns[cid].per_customer_limit or 1) for (_, cid), n in held.items())
    for campaign in campaigns.values():  # coupons issued and what the campaign took off orders at checkout
        spent = (sum((c.discount for c in coupons.values() if c.campaign_id == campaign.id), Decimal(0))
                 + sum((o.campaign_discount for o in orders.values() if o.campaign_id == campaign.id), Decimal(0)))
        assert campaign.spent == spent and (campaign.budget is None or spent <= campaign.budget)


def test_orders_record_the_campaign_checkout_applied_and_the_readout_counts_them(full_store) -> None:
    """An automatic campaign (满减, percent off) discounted the orders placed while it ran for the customer: the
    order records which and by how much, its total is net of it, and the campaign's readout counts those orders as
    redeemed (before, it had no way to see them)."""
    from tools.marketing.campaigns import Campaign as Rules
    from tools.marketing.campaigns import Line
    from tools.marketing.campaigns.thresholds import progress

    engine = make_engine(full_store[0])
    now = reference_now(AS_OF)
    try:
        with engine.connect() as conn:
            orders = conn.execute(select(Order).where(Order.campaign_id.is_not(None))).all()
            lines = conn.execute(select(OrderLine.order_id, OrderLine.product_id, Product.category_key,
                                        OrderLine.unit_price, OrderLine.quantity)
                                 .join(Product, Product.id == OrderLine.product_id)
                                 .where(OrderLine.order_id.in_([o.id for o in orders]))).all()
            used = dict(conn.execute(select(Coupon.used_order_id, Coupon.discount)
                                     .where(Coupon.used_order_id.is_not(None))).all())
            coupons_used = conn.execute(select(Coupon.campaign_id, Coupon.discount)
                                        .where(Coupon.status == "used")).all()
            campaigns = {c.id: c for c in conn.execute(select(Campaign))}
        sessions = make_session_factory(engine)
        readouts = {cid: campaign_readout(sessions, cid, now=now) for cid in ("double11", "mid618", "year_end")}
    finally:
        engine.dispose()
    by_campaign = Counter(o.campaign_id for o in orders if o.status != "cancelled")
    assert set(by_campaign) >= {"double11", "mid618", "year_end", "winter_refresh", "member_day"}
    basket: dict[str, list[Line]] = {}
    for oid, pid, cat, price, qty in lines:
        basket.setdefault(oid, []).append(Line(pid, cat, price * qty))
    for o in orders:
        c = campaigns[o.campaign_id]
        assert c.rules["type"] in ("threshold", "percent_off") and c.starts_at <= o.placed_at <= c.ends_at
        rules = Rules.model_validate({**_campaign_dict(c), "status": "active"}).rules
        at_levels = [rules] if rules.dynamic_threshold is None else [  # its threshold moved during the sale
            rules.with_threshold(Decimal(level)) for level in (250, 300)]
        assert o.campaign_discount in {progress(r, basket[o.id]).saving for r in at_levels}, o.id
        subtotal = sum((ln.amount for ln in basket[o.id]), Decimal(0))
        assert o.total == subtotal - o.campaign_discount - used.get(o.id, Decimal(0))
    for cid, r in readouts.items():  # (the store also issued coupons under some: used ones count too)
        assert r is not None and not r.claimable and by_campaign[cid] > 0
        coupons = [d for c, d in coupons_used if c == cid]
        assert r.total.redeemed == by_campaign[cid] + len(coupons), cid
        assert Decimal(r.total.discount_redeemed) == sum(coupons, Decimal(0)) + sum(
            (o.campaign_discount for o in orders if o.campaign_id == cid and o.status != "cancelled"), Decimal(0))
        assert r.total.redemption_rate.value is None or r.total.redemption_rate.value <= 1


def _campaign_dict(row: Any) -> dict[str, Any]:
    return {k: getattr(row, k) for k in ("id", "name_zh", "name_en", "kind", "starts_at", "ends_at", "rules",
                                         "budget", "spent", "per_customer_limit", "segments")}


def test_every_coupon_has_an_issue_record_with_who_and_why(full_store) -> None:
    """Claimed in chat: its `coupon_issued` event (who asked, in their words, by which tool); issued by the store:
    its `coupon_issues` audit row (who, when, why). None has neither, none both."""
    engine = make_engine(full_store[0])
    try:
        with engine.connect() as conn:
            codes = {c.code: c for c in conn.execute(select(Coupon))}
            events = {e.payload["code"]: e.payload for e in conn.execute(
                select(DialogueEvent.payload).where(DialogueEvent.type == "coupon_issued"))}
            audit = {r.code: r for r in conn.execute(select(CouponIssue))}
            placed = dict(conn.execute(select(Order.id, Order.placed_at)).all())
    finally:
        engine.dispose()
    assert events and audit and len(codes) > 100
    assert set(codes) == set(events) | set(audit) and not set(events) & set(audit)
    for code, e in events.items():
        assert e["customer_id"] == codes[code].customer_id and e["reason"] == "claimed_in_chat"
        assert e["requested"] and e["source"] == "claim_coupon"
    for code, row in audit.items():
        assert (row.actor, row.actor_role, row.reason) == ("demo-data", "system", "store_issued") and row.note
        coupon = codes[code]
        assert coupon.claim_key is None
        if coupon.used_order_id:
            assert row.at < placed[coupon.used_order_id]  # issued before it was used


def test_the_console_has_an_experiment_readout_and_a_threshold_history(full_store) -> None:
    """The trade-in floor experiment: customers shown the coupon were assigned once each (recorded in the
    conversation), saw their arm's threshold, and the readout has both arms with customers and claims; the
    Singles' Day sale's threshold was lowered by the system with the policy's reason, then pinned by the marketer,
    and its level table has offers at both levels."""
    from server.db.models import ExperimentAssignment
    from server.db.thresholds import moves, observations
    from server.operators.experiments import experiments_summary
    from tools.marketing.campaigns import Campaign as Rules

    engine = make_engine(full_store[0])
    now = reference_now(AS_OF)
    try:
        sessions = make_session_factory(engine)
        with engine.connect() as conn:
            assigned = {r.customer_id: r for r in conn.execute(select(ExperimentAssignment))}
            events = conn.execute(select(DialogueEvent.conversation_id, DialogueEvent.type, DialogueEvent.payload)
                                  .where(DialogueEvent.type.in_(("experiment_assigned", "offer_made")))).all()
            double11 = _campaign_dict(conn.execute(select(Campaign).where(Campaign.id == "double11")).one())
        [summary] = experiments_summary(sessions, campaign_id="trade_in", now=now)
        history = moves(sessions, "double11")
        seen = observations(sessions, Rules.model_validate(double11), now)
    finally:
        engine.dispose()
    recorded = [e.payload for e in events if e.type == "experiment_assigned"]
    assert len(recorded) == len(assigned) > 20 and len({p["customer_id"] for p in recorded}) == len(recorded)
    assert all(assigned[p["customer_id"]].arm == p["arm"] for p in recorded)
    shown = [e.payload for e in events if e.type == "offer_made" and e.payload["offer_id"] == "trade_in"
             and (e.payload.get("policy") or {}).get("experiment")]
    assert shown and all(p["policy"].get("threshold") == ("1200.00" if p["policy"]["experiment"]["arm"] == "low"
                                                          else None) for p in shown)  # (the control: as it is)
    assert summary["status"] == "running" and summary["metric"] == "claimed"
    assert [a["name"] for a in summary["arms"]] == ["¥1500", "¥1200"]
    assert all(a["n"] > 10 for a in summary["arms"]) and sum(a["conversions"] for a in summary["arms"]) > 0
    assert summary["uplift"] is not None and summary["note"]

    assert [(m["action"], m["actor_role"]) for m in reversed(history)] == [("threshold", "system"),
                                                                          ("pin", "marketer")]
    move = history[-1]
    assert move["changes"]["threshold"] == {"from": "300.00", "to": "250.00"}
    assert move["note"].startswith("participation: participation ") and "below the target 80.0%" in move["note"]
    assert double11["rules"]["tiers"][0]["min_spend"] == 250 and double11["rules"]["dynamic_threshold"]["pinned"]
    levels = Counter(str(o.level) for _, o in seen)
    assert levels["300.00"] >= 10 and levels["250.00"] > 0
    assert any(o.participated for _, o in seen)


def test_refuses_existing_store_unless_replace(sqlite_url: str) -> None:
    assert not store_has_products(sqlite_url)
    build_demo_store(sqlite_url, seed=1, as_of=AS_OF, **SMALL)
    assert store_has_products(sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        mine, _ = ConversationRepository(make_session_factory(engine)).create(channel="web", customer_id="C00001")
    finally:
        engine.dispose()
    with pytest.raises(DemoStoreExists, match="replace"):
        build_demo_store(sqlite_url, seed=1, as_of=AS_OF, **SMALL)
    report = build_demo_store(sqlite_url, seed=2, as_of=AS_OF, replace=True, **SMALL)
    assert report.counts["orders"] == SMALL["orders"]
    engine = make_engine(sqlite_url)
    try:
        kept = {row[0] for row in _rows(engine, "conversations")}
        assert mine not in kept and kept  # the store's own conversations went; the new store's demo history came
    finally:
        engine.dispose()


def test_rejects_too_small_stores(sqlite_url: str) -> None:
    with pytest.raises(ValueError, match="customers"):
        build_demo_store(sqlite_url, customers=10, orders=500, as_of=AS_OF)
    with pytest.raises(ValueError, match="orders"):
        build_demo_store(sqlite_url, customers=100, orders=50, as_of=AS_OF)
    report = build_demo_store(sqlite_url, customers=20, orders=100, as_of=AS_OF)
    assert report.counts["customers"] == 20 and report.counts["orders"] == 100


@pytest.mark.postgres
def test_postgres_build_matches_sqlite(pg_url: str, sqlite_url: str) -> None:
    build_demo_store(pg_url, seed=5, as_of=AS_OF, **SMALL)
    build_demo_store(sqlite_url, seed=5, as_of=AS_OF, **SMALL)
    pg, lite = make_engine(pg_url), make_engine(sqlite_url)
    try:
        for table in ("orders", "order_lines", "shipments", "returns", "coupons", "conversations", "dialogue_events"):
            assert _rows(pg, table) == _rows(lite, table), table
        # a campaign's readout reads the offers out of the events' JSON the same way on both
        shown = 0
        for campaign in ("year_end", "new_customer", "double11"):
            a, b = (campaign_readout(make_session_factory(e), campaign, now=reference_now(AS_OF)) for e in (pg, lite))
            assert a == b and a is not None, campaign
            shown += a.total.shown
        assert shown > 0  # (which of them a small store's few offer chats showed depends on the seed)
        # Sequences caught up with the generated ids: new rows insert fine.
        repo = SqlOrderRepository(make_session_factory(pg))
        order = next(o for o in repo.list_orders("C00001", limit=3) if o.status == "delivered")
        view = repo.create_return(
            order_id=order.order_id,
            line_ids=[order.lines[0].line_id],
            kind="quality",
            reason="broken",
            refund_amount=order.lines[0].unit_price,
            now=reference_now(AS_OF),
        )
        assert view.return_id > max(r[0] for r in _rows(lite, "returns"))
        with pg.begin() as conn:
            conn.execute(
                Base.metadata.tables["tracking_events"]
                .insert()
                .values(shipment_id=1, at=reference_now(AS_OF), status="delivered")
            )
    finally:
        pg.dispose()
        lite.dispose()
