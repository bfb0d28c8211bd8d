"""Coupon claims against the database, on SQLite and PostgreSQL: claims racing for the last coupon of a budget
(one wins, the other is told it is gone), one customer claiming from two conversations at once (the limit
holds), a retried claim (the same coupon), and the budget never overspent."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from server.db.engine import make_engine, make_session_factory
from server.db.models import Campaign, Coupon, Customer
from server.db.offers import SqlCampaignStore
from tools.marketing.campaigns import ClaimOutcome, ClaimRequest

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
ROUNDS = 8


@pytest.fixture
def sessions(migrated_db_url: str) -> Iterator[sessionmaker[Session]]:
    db_url = migrated_db_url
    engine = make_engine(db_url, **({"pool_size": 8} if db_url.startswith("postgresql") else {}))
    factory = make_session_factory(engine)
    with factory.begin() as s:
        s.add_all([Customer(id=f"C{i}", name=f"c{i}", language="zh", email="", phone="", address="", tier="regular",
                            created_at=NOW) for i in range(1, 5)])
    try:
        yield factory
    finally:
        engine.dispose()


def add_campaign(sessions: sessionmaker[Session], cid: str, *, budget: str | None, limit: int = 1) -> None:
    with sessions.begin() as s:
        s.add(Campaign(id=cid, name_zh=cid, name_en=cid, kind="promotion", starts_at=NOW - timedelta(days=1),
                       ends_at=NOW + timedelta(days=1), rules={"type": "coupon", "discount": 10, "min_spend": 100},
                       active=True, status="active", budget=None if budget is None else Decimal(budget),
                       spent=Decimal("0"), per_customer_limit=limit, segments=[]))


def request(campaign: str, customer: str, key: str, limit: int = 1) -> ClaimRequest:
    return ClaimRequest(campaign_id=campaign, customer_id=customer, claim_key=key, discount=Decimal("10"),
                        min_spend=Decimal("100"), expires_at=NOW + timedelta(days=30), limit=limit, now=NOW)


def race(sessions: sessionmaker[Session], requests: list[ClaimRequest]) -> list[ClaimOutcome]:
    """Every request from its own thread (and connection), released together."""
    stores = [SqlCampaignStore(sessions) for _ in requests]
    gate = threading.Barrier(len(requests))

    def claim(n: int) -> ClaimOutcome:
        gate.wait(timeout=30)
        return stores[n].claim(requests[n])

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(claim, range(len(requests))))


def count(sessions: sessionmaker[Session], *where: Callable) -> int:
    with sessions() as s:
        return s.scalar(select(func.count(Coupon.code)).where(*where)) or 0


def test_two_customers_racing_for_the_last_coupon_of_a_budget(sessions: sessionmaker[Session]) -> None:
    for n in range(ROUNDS):
        cid = f"last{n}"
        add_campaign(sessions, cid, budget="10")  # room for exactly one ¥10 coupon
        outcomes = race(sessions, [request(cid, "C1", f"k1:{cid}"), request(cid, "C2", f"k2:{cid}")])
        assert sorted(o.kind for o in outcomes) == ["budget", "issued"], (n, outcomes)
        with sessions() as s:
            assert s.get(Campaign, cid).spent == Decimal("10.00")
        assert count(sessions, Coupon.campaign_id == cid) == 1


def test_one_customer_from_two_conversations_gets_one_coupon(sessions: sessionmaker[Session]) -> None:
    for n in range(ROUNDS):
        cid = f"once{n}"
        add_campaign(sessions, cid, budget=None)
        outcomes = race(sessions, [request(cid, "C3", f"conv-a:{cid}"), request(cid, "C3", f"conv-b:{cid}")])
        assert sorted(o.kind for o in outcomes) == ["issued", "limit"], (n, outcomes)
        issued = next(o for o in outcomes if o.kind == "issued").coupon
        assert next(o for o in outcomes if o.kind == "limit").coupon.code == issued.code
        with sessions() as s:
            assert s.get(Campaign, cid).spent == Decimal("10.00")


def test_a_retried_claim_returns_the_same_coupon_and_charges_once(sessions: sessionmaker[Session]) -> None:
    add_campaign(sessions, "retry", budget="100", limit=3)
    outcomes = race(sessions, [request("retry", "C4", "conv:retry", 3)] * 3)
    assert sorted(o.kind for o in outcomes) == ["existing", "existing", "issued"]
    assert len({o.coupon.code for o in outcomes}) == 1
    later = SqlCampaignStore(sessions).claim(request("retry", "C4", "conv:retry", 3))
    assert later.kind == "existing" and later.coupon.code == outcomes[0].coupon.code
    with sessions() as s:
        assert s.get(Campaign, "retry").spent == Decimal("10.00")
        row = s.scalar(select(Coupon).where(Coupon.claim_key == "conv:retry"))
        assert (row.customer_id, row.status, row.issued_at, row.code[:2]) == ("C4", "issued", NOW, "CP")


def test_a_paused_or_finished_campaign_issues_nothing(sessions: sessionmaker[Session]) -> None:
    add_campaign(sessions, "stop", budget=None)
    with sessions.begin() as s:
        s.get(Campaign, "stop").status = "paused"
    assert SqlCampaignStore(sessions).claim(request("stop", "C1", "k:stop")).kind == "closed"
    with sessions.begin() as s:
        s.get(Campaign, "stop").status = "active"
    out_of_window = replace(request("stop", "C1", "k:stop3"), now=NOW + timedelta(days=2))
    assert SqlCampaignStore(sessions).claim(out_of_window).kind == "closed"
    assert count(sessions, Coupon.campaign_id == "stop") == 0
