"""The console's live list reads a bounded number of queries however many conversations it shows, and stays right:
summaries topped up with what was appended since, customers named, the queue first."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from agent.events import AffectObserved, ConversationStarted, HandoffRequested, UserUttered
from server.db.conversations import ConversationRepository
from server.db.customers import CustomerRepository
from server.db.engine import make_engine, make_session_factory
from server.db.events import SqlEventStore
from server.db.migrate import upgrade
from server.db.operators import OperatorRepository
from server.infra.pubsub import InProcessPubSub
from server.operators.feed import ConsoleFeed
from tests.server.db.seed import seed_store

pytestmark = pytest.mark.integration


@pytest.fixture
def db(sqlite_url: str) -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine)
    seed_store(sessions)
    yield engine, sessions
    engine.dispose()


def _feed(sessions: sessionmaker[Session]) -> ConsoleFeed:
    return ConsoleFeed(InProcessPubSub(), SqlEventStore(sessions), ConversationRepository(sessions),
                       CustomerRepository(sessions), operators=OperatorRepository(sessions))


def _open(sessions: sessionmaker[Session], n: int, *, angry: bool = False) -> list[str]:
    """`n` conversations of customer C00001 (the last one queued for a human when `angry`)."""
    conversations, store = ConversationRepository(sessions), SqlEventStore(sessions)
    ids = []
    for i in range(n):
        customer = "C00001" if i % 2 == 0 else None
        cid, _ = conversations.create(channel="web", customer_id=customer)
        events: list[Any] = [ConversationStarted(conversation_id=cid, channel="web", customer_id=customer,
                                                 language="zh"),
                             UserUttered(conversation_id=cid, text=f"第{i}个问题", language="zh")]
        if angry and i == n - 1:
            events += [AffectObserved(conversation_id=cid, label="anger", score=-0.9, intensity=0.9),
                       HandoffRequested(conversation_id=cid, reason="anger")]
            conversations.set_handoff(cid, "queued")
        store.append_sync(cid, events)
        ids.append(cid)
    return ids


def _counted(engine: Engine, feed: ConsoleFeed) -> tuple[list[dict[str, Any]], int]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        rows = asyncio.run(feed.live(limit=200))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return rows, len(statements)


def test_live_reads_a_bounded_number_of_queries_whatever_the_number_of_conversations(db) -> None:
    engine, sessions = db
    _open(sessions, 5)
    few_rows, few = _counted(engine, _feed(sessions))
    queued = _open(sessions, 45, angry=True)[-1]
    many_rows, many = _counted(engine, _feed(sessions))

    assert (len(few_rows), len(many_rows)) == (5, 50)
    assert many == few <= 6  # three lists, the events, the customers (one per few hundred), not one per conversation
    assert many_rows[0]["id"] == queued and many_rows[0]["handoff"] == "queued"
    assert all(r["turns"] == 1 for r in many_rows)
    named = [r["customer"] for r in many_rows if r["customer_id"]]
    assert named and all(c is not None and c["id"] == "C00001" for c in named)


def test_live_tops_summaries_up_with_what_was_appended_since(db) -> None:
    engine, sessions = db
    cids = _open(sessions, 3)
    feed = _feed(sessions)
    _counted(engine, feed)
    SqlEventStore(sessions).append_sync(cids[0], [UserUttered(conversation_id=cids[0], text="还在吗", language="zh")])

    rows, queries = _counted(engine, feed)

    by_id = {r["id"]: r for r in rows}
    assert by_id[cids[0]]["turns"] == 2 and by_id[cids[0]]["last_message"]["text"] == "还在吗"
    assert by_id[cids[1]]["turns"] == 1
    assert queries <= 4  # the lists and the one conversation with news; customers are known by now
