"""One welcome coupon per linked group holds under a race, on SQLite and PostgreSQL: two linked accounts claiming
the new-customer coupon at once (each passing the tool's checks before the other's claim commits) get one coupon
between them; the other is refused `linked` by the atomic claim. The walk from an account over the stored keys
finds its linked accounts and never follows a hub value."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from server.db.engine import make_engine, make_session_factory
from server.db.identities import SqlIdentityStore
from server.db.models import Customer
from tests.server.test_coupon_claims_db import add_campaign, race, request

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture
def sessions(migrated_db_url: str) -> Iterator[sessionmaker[Session]]:
    db_url = migrated_db_url
    engine = make_engine(db_url, **({"pool_size": 8} if db_url.startswith("postgresql") else {}))
    factory = make_session_factory(engine)
    with factory.begin() as s:
        s.add_all([Customer(id=f"L{i}", name=f"l{i}", language="zh", email="", phone="", address="", tier="regular",
                            created_at=NOW) for i in range(1, 14)])
    try:
        yield factory
    finally:
        engine.dispose()


def test_two_linked_accounts_racing_get_one_welcome_coupon(sessions: sessionmaker[Session]) -> None:
    for n in range(4):
        cid = f"welcome{n}"
        add_campaign(sessions, cid, budget=None)
        first = replace(request(cid, "L1", f"a:{cid}"), linked=("L2",))
        second = replace(request(cid, "L2", f"b:{cid}"), linked=("L1",))
        outcomes = race(sessions, [first, second])
        assert sorted(o.kind for o in outcomes) == ["issued", "linked"], (n, outcomes)


def test_the_walk_follows_shared_keys_and_stops_at_hubs(sessions: sessionmaker[Session]) -> None:
    store = SqlIdentityStore(sessions)
    at = NOW - timedelta(days=1)
    store.record("L1", "device", "5d1c2b3a-0000-4000-8000-000000000001", "sign_in", at)
    store.record("L2", "device", "5D1C2B3A-0000-4000-8000-000000000001", "session", at)  # the same device
    store.record("L2", "phone", "+86 139 1234 0001", "order", at)
    store.record("L3", "phone", "13912340001", "profile", at)  # the same phone: L1-L2-L3
    store.record("L4", "phone", "13912340002", "profile", at)  # one digit off
    for i in range(1, 14):  # a pickup point 13 accounts ship to: a hub
        store.record(f"L{i}", "address", "上海市浦东新区张江路88号 Kefu 自提点", "order", at)
    store.record("L1", "device", "5d1c2b3a-0000-4000-8000-000000000001", "sign_in", NOW)  # seen again: no new row
    assert store.linked_to("L1") == ("L2", "L3") and store.linked_to("L3") == ("L1", "L2")
    assert store.linked_to("L4") == () and store.linked_to("L9") == ()
    assert store.counts() == {"device": 2, "phone": 3, "address": 13}
    whole = store.graph()
    assert [g.accounts for g in whole.groups] == [("L1", "L2", "L3")] and len(whole.hubs) == 1
