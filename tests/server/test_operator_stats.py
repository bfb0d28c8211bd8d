"""The supervisor view's figures, on SQLite and PostgreSQL, against a store seeded with known conversations,
CSAT ratings, affect, intents, campaigns and coupons: the numbers a supervisor sees through the API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from agent.events import (
    AffectObserved,
    ConversationStarted,
    CsatGiven,
    Event,
    HandoffRequested,
    IntentRecognized,
    OperatorJoined,
    UserUttered,
)
from server.app import create_app
from server.db.conversations import ConversationRepository
from server.db.engine import make_engine, make_session_factory
from server.db.events import SqlEventStore
from server.db.models import Campaign, Coupon
from server.db.stats import SupervisorStats, supervisor_stats
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever
from tests.server.console_support import login, register_accounts

pytestmark = pytest.mark.integration

# 2026-12-01 12:00 in Shanghai (UTC+8)
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def _conversation(repo: ConversationRepository, store: SqlEventStore, at: datetime, *steps: tuple) -> str:
    """A conversation started at `at` whose events follow a minute apart: ("say", text), ("affect", label),
    ("intent", name), ("handoff",), ("joined", operator), ("csat", score)."""
    cid, _ = repo.create(channel="web", now=at)
    events: list[Event] = [ConversationStarted(conversation_id=cid, channel="web", at=at)]
    for i, (kind, *args) in enumerate(steps, start=1):
        t = at + timedelta(minutes=i)
        if kind == "say":
            events.append(UserUttered(conversation_id=cid, text=args[0], at=t))
        elif kind == "affect":
            events.append(AffectObserved(conversation_id=cid, label=args[0], score=0.0, intensity=0.5, at=t))
        elif kind == "intent":
            events.append(IntentRecognized(conversation_id=cid, intent=args[0], confidence=0.9, at=t))
        elif kind == "handoff":
            events.append(HandoffRequested(conversation_id=cid, reason="customer_asked", at=t))
        elif kind == "joined":
            events.append(OperatorJoined(conversation_id=cid, operator=args[0], at=t))
        elif kind == "csat":
            events.append(CsatGiven(conversation_id=cid, score=args[0], at=t))
    store.append_sync(cid, events)
    return cid


@pytest.fixture
def seeded(migrated_db_url: str) -> Iterator[str]:
    db_url = migrated_db_url
    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    repo, store = ConversationRepository(sessions), SqlEventStore(sessions)
    today = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 local
    # angry, asked for a person, taken over, rated 2
    _conversation(
        repo,
        store,
        today,
        ("say", "太差了"),
        ("affect", "anger"),
        ("intent", "complaint"),
        ("handoff",),
        ("joined", "wang"),
        ("csat", 2),
    )
    # two calm order questions, rated 5
    _conversation(
        repo,
        store,
        today + timedelta(hours=1),
        ("say", "where is my order"),
        ("affect", "neutral"),
        ("intent", "order_status"),
        ("say", "thanks, and the other one?"),
        ("affect", "neutral"),
        ("intent", "order_status"),
        ("csat", 5),
    )
    # started 17:30 UTC on Nov 30 = 01:30 on Dec 1 in Shanghai: a local "today" conversation
    _conversation(
        repo,
        store,
        datetime(2026, 11, 30, 17, 30, tzinfo=UTC),
        ("say", "thank you"),
        ("affect", "satisfaction"),
        ("intent", "thanks"),
    )
    # yesterday (local): anxious, queued for a person, never taken over, rated 4
    _conversation(
        repo,
        store,
        datetime(2026, 11, 30, 2, 0, tzinfo=UTC),
        ("say", "快递怎么还没到"),
        ("affect", "anxiety"),
        ("intent", "order_status"),
        ("handoff",),
        ("csat", 4),
    )
    # 40 days ago: outside a 7-day window
    _conversation(
        repo,
        store,
        NOW - timedelta(days=40),
        ("say", "worst"),
        ("affect", "anger"),
        ("intent", "complaint"),
        ("handoff",),
        ("csat", 1),
    )

    expires = NOW + timedelta(days=30)
    with engine.begin() as conn:
        conn.execute(
            insert(Campaign),
            [
                {
                    "id": "double12",
                    "name_zh": "双十二",
                    "name_en": "Double 12",
                    "kind": "festival",
                    "starts_at": NOW - timedelta(days=5),
                    "ends_at": expires,
                    "rules": {},
                    "active": True,
                },
                {
                    "id": "spring",
                    "name_zh": "春季焕新",
                    "name_en": "Spring refresh",
                    "kind": "festival",
                    "starts_at": NOW - timedelta(days=200),
                    "ends_at": NOW - timedelta(days=100),
                    "rules": {},
                    "active": False,
                },
            ],
        )
        conn.execute(
            insert(Coupon),
            [
                {
                    "code": f"D12-{i}",
                    "campaign_id": "double12",
                    "customer_id": None,
                    "discount": Decimal("20"),
                    "min_spend": Decimal("99"),
                    "expires_at": expires,
                    "status": status,
                    "used_order_id": None,
                }
                for i, status in enumerate(["used", "used", "issued", "issued", "expired"])
            ],
        )
    engine.dispose()
    yield db_url


def _stats(url: str, *, days: int) -> SupervisorStats:
    engine = make_engine(url)
    try:
        return supervisor_stats(make_session_factory(engine), days=days, timezone="Asia/Shanghai", now=NOW)
    finally:
        engine.dispose()


def test_figures_from_sql_aggregates(seeded: str) -> None:
    stats = _stats(seeded, days=7)
    h = stats.handoffs
    assert (h.conversations, h.handed_off, h.taken_over, h.rate) == (4, 2, 1, 0.5)
    days = {d.date: (d.conversations, d.handed_off) for d in h.daily}
    assert len(h.daily) == 7 and h.daily[-1].date == "2026-12-01" and h.daily[0].date == "2026-11-25"
    assert days["2026-12-01"] == (3, 1) and days["2026-11-30"] == (1, 1) and days["2026-11-29"] == (0, 0)

    assert stats.csat.count == 3 and stats.csat.average == pytest.approx(3.67)
    assert [(s.score, s.count) for s in stats.csat.distribution] == [(1, 0), (2, 1), (3, 0), (4, 1), (5, 1)]
    assert {a.label: a.count for a in stats.affect} == {
        "anger": 1,
        "anxiety": 1,
        "disappointment": 0,
        "neutral": 2,
        "satisfaction": 1,
    }
    assert [(i.label, i.count) for i in stats.intents] == [("order_status", 3), ("complaint", 1), ("thanks", 1)]

    d12, spring = stats.campaigns
    assert (d12.campaign_id, d12.name_zh, d12.offers, d12.conversions, d12.expired) == ("double12", "双十二", 5, 2, 1)
    assert d12.conversion_rate == 0.4 and d12.active is True
    assert (spring.campaign_id, spring.offers, spring.conversions, spring.conversion_rate) == ("spring", 0, 0, None)


def test_a_wider_window_takes_in_the_older_conversation(seeded: str) -> None:
    stats = _stats(seeded, days=60)
    assert (stats.handoffs.conversations, stats.handoffs.handed_off) == (5, 3)
    assert stats.csat.count == 4 and stats.csat.average == 3.0
    assert stats.intents[0].label == "order_status" and ("complaint", 2) in [(i.label, i.count) for i in stats.intents]


def test_only_supervisors_read_the_figures_over_http(seeded: str) -> None:
    settings = Settings(database_url=seeded)
    runtime = build_runtime(settings, retriever=KeywordRetriever(), llm=None, warm=False)
    runtime.console.clock = lambda: NOW
    names = register_accounts(seeded, {role: role for role in ("operator", "supervisor", "marketer")})
    try:
        with TestClient(create_app(settings, runtime=runtime)) as client:
            headers = {role: login(client, username) for role, username in names.items()}
            assert client.get("/api/operator/stats").status_code == 401
            for role in ("operator", "marketer"):
                r = client.get("/api/operator/stats", headers=headers[role])
                assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_role"
            r = client.get("/api/operator/stats?days=7", headers=headers["supervisor"])
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["handoffs"]["rate"] == 0.5 and body["csat"]["average"] == pytest.approx(3.67)
            assert body["campaigns"][0]["conversions"] == 2 and body["offers_source"] == "coupons"
            assert body["window"]["days"] == 7 and body["window"]["timezone"] == "Asia/Shanghai"
            assert client.get("/api/operator/stats?days=0", headers=headers["supervisor"]).status_code == 422
    finally:
        runtime.close()
