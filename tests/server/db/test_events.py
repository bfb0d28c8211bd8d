"""`SqlEventStore` on both engines: round-trips, gap-free sequence numbers under concurrency."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from agent.events import EVENT_TYPES, Event
from agent.protocols import EventStore
from server.db.conversations import ConversationRepository
from server.db.engine import make_engine, make_session_factory
from server.db.errors import UnknownConversation
from server.db.events import SqlEventStore

pytestmark = pytest.mark.integration
BASE_FIELDS = {"conversation_id", "seq", "at", "id"}
SAMPLES: dict[str, Any] = {
    "str": "你好 hello",
    "str | None": "some-id",
    "float": 0.625,
    "float | None": 0.375,
    "int": 4,
    "bool": True,
    "Any": {"nested": [1, "二", None, 2.5]},
    "dict[str, Any]": {"order_id": "KF10000001", "items": [{"qty": 1}], "ok": False},
    "dict[str, Any] | None": {"policy": "thompson", "propensity": 0.25, "ranking": ["P0001", "P0002"]},
    "list[str]": ["a", "乙"],
    "list[dict[str, Any]]": [{"doc": "returns", "score": 0.5}],
}


def sample_event(cls: type[Event], conversation_id: str) -> Event:
    """An instance with every payload field set to a non-default value of its declared type."""
    kwargs = {f.name: SAMPLES[str(f.type)] for f in fields(cls) if f.name not in BASE_FIELDS}
    return cls(conversation_id=conversation_id, **kwargs)


def _conversation(sessions) -> str:
    cid, _token = ConversationRepository(sessions).create(channel="web", language="zh")
    return cid


async def test_round_trip_of_every_event_type(sessions) -> None:
    store = SqlEventStore(sessions)
    assert isinstance(store, EventStore)
    cid = _conversation(sessions)
    events = [sample_event(cls, cid) for cls in EVENT_TYPES.values()]
    stored = await store.append(cid, events)
    assert [e.seq for e in stored] == list(range(1, len(events) + 1))
    loaded = await store.load(cid)
    assert loaded == events
    assert [type(e) for e in loaded] == list(EVENT_TYPES.values())
    assert all(e.at.tzinfo is not None for e in loaded)


async def test_load_after_and_successive_appends(sessions) -> None:
    store = SqlEventStore(sessions)
    cid = _conversation(sessions)
    cls = EVENT_TYPES["user_uttered"]
    first = await store.append(cid, [sample_event(cls, cid) for _ in range(3)])
    second = await store.append(cid, [sample_event(cls, cid) for _ in range(2)])
    assert [e.seq for e in first + second] == [1, 2, 3, 4, 5]
    assert [e.seq for e in await store.load(cid, after=3)] == [4, 5]
    assert await store.load(cid, after=5) == []
    assert await store.append(cid, []) == []
    assert ConversationRepository(sessions).get(cid).last_seq == 5


async def test_unknown_conversation(sessions) -> None:
    store = SqlEventStore(sessions)
    with pytest.raises(UnknownConversation) as info:
        await store.append("0" * 32, [sample_event(EVENT_TYPES["csat_given"], "0" * 32)])
    assert isinstance(info.value, KeyError) and "unknown conversation" in str(info.value)
    assert await store.load("0" * 32) == []


async def test_event_for_another_conversation_is_refused(sessions) -> None:
    store = SqlEventStore(sessions)
    cid = _conversation(sessions)
    with pytest.raises(ValueError):
        await store.append(cid, [sample_event(EVENT_TYPES["csat_given"], "f" * 32)])
    assert await store.load(cid) == []


def _assert_gap_free(sessions, cid: str, expected_total: int, appended: list[list[Event]]) -> None:
    loaded = SqlEventStore(sessions).load_sync(cid)
    assert [e.seq for e in loaded] == list(range(1, expected_total + 1))
    assert sorted(e.id for batch in appended for e in batch) == sorted(e.id for e in loaded)
    for batch in appended:  # each batch got consecutive numbers
        seqs = [e.seq for e in batch]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert ConversationRepository(sessions).get(cid).last_seq == expected_total


def test_concurrent_appends_from_threads(sessions) -> None:
    store = SqlEventStore(sessions)
    cid = _conversation(sessions)
    cls = EVENT_TYPES["bot_uttered"]

    def writer(n: int) -> list[list[Event]]:
        return [store.append_sync(cid, [sample_event(cls, cid) for _ in range(1 + (n + k) % 3)]) for k in range(6)]

    with ThreadPoolExecutor(max_workers=6) as pool:
        batches = [batch for batches in pool.map(writer, range(6)) for batch in batches]
    total = sum(len(b) for b in batches)
    _assert_gap_free(sessions, cid, total, batches)


async def test_concurrent_appends_from_tasks(sessions) -> None:
    store = SqlEventStore(sessions)
    cids = [_conversation(sessions) for _ in range(2)]
    cls = EVENT_TYPES["user_uttered"]
    jobs = [store.append(cid, [sample_event(cls, cid) for _ in range(2)]) for _ in range(10) for cid in cids]
    results = await asyncio.gather(*jobs)
    for cid in cids:
        batches = [b for b in results if b[0].conversation_id == cid]
        _assert_gap_free(sessions, cid, 20, batches)


async def test_what_one_path_writes_the_other_reads(sessions) -> None:
    """Appends and loads go to the driver (sqlite3, psycopg): the rows it writes read back through SQLAlchemy's
    types (the console's `load_many`, the ORM) as what was appended, and rows the ORM wrote load through it alike."""
    from sqlalchemy import select

    from server.db.models import DialogueEvent

    store = SqlEventStore(sessions)
    cid = _conversation(sessions)
    events = [sample_event(cls, cid) for cls in EVENT_TYPES.values()]
    events[0].at = events[0].at.replace(microsecond=0)  # a whole second is still stored with its microseconds
    await store.append(cid, events)
    assert store.load_many_sync({cid: 0})[cid] == events
    with sessions() as s:
        rows = s.scalars(select(DialogueEvent).where(DialogueEvent.conversation_id == cid)
                         .order_by(DialogueEvent.seq)).all()
        assert [(r.event_id, r.seq, r.type, r.at, r.payload) for r in rows] == \
            [(e.id, e.seq, e.type, e.at, e.to_payload()) for e in events]
    orm_event = sample_event(EVENT_TYPES["csat_given"], cid)
    with sessions.begin() as s:
        s.add(DialogueEvent(event_id=orm_event.id, conversation_id=cid, seq=len(events) + 1, type=orm_event.type,
                            payload=orm_event.to_payload(), at=orm_event.at))
    orm_event.seq = len(events) + 1
    assert await store.load(cid, after=len(events)) == [orm_event]


@pytest.fixture
def pg_sessions(migrated_templates) -> Iterator[sessionmaker[Session]]:
    """A migrated PostgreSQL database's sessions (no SQLite variant: SQLite has no server to drop connections)."""
    from tests.services import fresh_pg_database

    with fresh_pg_database(template=migrated_templates.pg_template()) as url:
        engine = make_engine(url)
        try:
            yield make_session_factory(engine)
        finally:
            engine.dispose()


@pytest.mark.postgres
async def test_connections_the_database_dropped_are_replaced(pg_sessions: sessionmaker[Session]) -> None:
    """A PostgreSQL restart drops every pooled connection: the next append and load get fresh ones, and nothing
    is written twice."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    sessions = pg_sessions
    engine = sessions.kw["bind"]
    store = SqlEventStore(sessions)
    cid = _conversation(sessions)
    first = await store.append(cid, [sample_event(EVENT_TYPES["user_uttered"], cid)])
    admin = create_engine(engine.url, poolclass=NullPool)  # not from the pool whose connections go
    with admin.connect() as conn:
        dropped = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    admin.dispose()
    assert dropped >= 1  # the store's pooled connection
    second = await store.append(cid, [sample_event(EVENT_TYPES["bot_uttered"], cid)])
    assert [e.seq for e in await store.load(cid)] == [first[0].seq, second[0].seq] == [1, 2]


def _traced_sqlite(sessions) -> list[str]:
    """The SQL every new connection of the SQLite store runs from now on."""
    from sqlalchemy import event

    engine = sessions.kw["bind"]
    assert engine.dialect.name == "sqlite"
    statements: list[str] = []
    event.listen(engine, "connect", lambda conn, _rec: conn.set_trace_callback(statements.append))
    engine.dispose()  # the pooled connections so far were not traced
    return statements


# Group commit is the SQLite store's (PostgreSQL serialises each conversation's appends by row): these run on SQLite.
SQLITE_ONLY = pytest.mark.parametrize("migrated_db_url", ["sqlite"], indirect=True)


@SQLITE_ONLY
async def test_appends_that_come_together_commit_together_each_released_once_stored(sessions) -> None:
    statements = _traced_sqlite(sessions)
    store = SqlEventStore(sessions)
    cids = [_conversation(sessions) for _ in range(8)]
    cls = EVENT_TYPES["user_uttered"]
    statements.clear()

    async def turn(cid: str) -> tuple[list[Event], list[Event]]:
        stored = await store.append(cid, [sample_event(cls, cid) for _ in range(2)])
        return stored, SqlEventStore(sessions).load_sync(cid)  # read at once, on another connection

    results = await asyncio.gather(*(turn(cid) for cid in cids))
    for cid, (stored, seen) in zip(cids, results, strict=True):
        assert [e.seq for e in stored] == [1, 2] and stored[0].conversation_id == cid
        assert seen == stored  # committed before its caller went on
    transactions = [s for s in statements if s.startswith("BEGIN IMMEDIATE")]
    assert 1 <= len(transactions) < len(cids)  # several conversations' appends in one transaction


@SQLITE_ONLY
async def test_one_append_refused_in_a_group_fails_alone(sessions) -> None:
    _traced_sqlite(sessions)
    store = SqlEventStore(sessions)
    cids = [_conversation(sessions) for _ in range(4)]
    cls = EVENT_TYPES["user_uttered"]
    unknown = "0" * 32
    jobs = [store.append(cid, [sample_event(cls, cid)]) for cid in cids[:2]]
    jobs.append(store.append(unknown, [sample_event(cls, unknown)]))
    jobs += [store.append(cid, [sample_event(cls, cid) for _ in range(3)]) for cid in cids[2:]]
    results = await asyncio.gather(*jobs, return_exceptions=True)
    assert isinstance(results[2], UnknownConversation)
    for cid, stored in zip(cids, results[:2] + results[3:], strict=True):
        assert not isinstance(stored, BaseException), stored
        _assert_gap_free(sessions, cid, len(stored), [stored])
    assert await store.load(unknown) == []
