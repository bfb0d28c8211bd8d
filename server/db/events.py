"""`SqlEventStore`: the per-conversation dialogue event log (`agent.protocols.EventStore`).

Sequence numbers come from `conversations.last_seq`, bumped with UPDATE ... RETURNING in the same
transaction as the inserts: the row lock (PostgreSQL) or the write lock (SQLite) serialises
concurrent appenders, so numbers are unique and gap-free even with several writers. The two statements are built
once and run on the table (Core), not through the ORM's bulk paths: an append is on every turn's path, and the
ORM's per-statement work cost more than the database's.

On SQLite (the embedded default) appends and loads go straight to the driver (`sqlite3`) on a pooled connection,
with the same SQL, the same stored forms (JSON text, naive UTC `YYYY-MM-DD HH:MM:SS.ffffff`) and the same
transaction: SQLAlchemy's per-call work (session, connection events, result processing) cost ~0.3 ms a call, more
than SQLite's own, and every turn appends twice and loads once. Appends of one process also take a lock first, so
two of them never meet at SQLite's write lock, whose busy handler sleeps 1, 2, 5, 10 … ms between tries.

Group commit (SQLite, `append`): the appends that come in on an event loop while a write is under way are written
together next, in one transaction on one pooled connection in one worker thread, each with its own sequence
numbers; every caller is released once that transaction has committed (nothing is acknowledged before it is
stored). Under load that is one thread hop, one checkout and one commit for several turns' appends instead of one
each. If the group's transaction fails, each append of it is tried alone, so one append's failure (an unknown
conversation) is that caller's only.

On PostgreSQL (psycopg) they go to the driver too, on a connection checked out of the same pool: the same SQL with
the same transaction (the bump and the inserts, committed together), ~0.3-0.4 ms of CPU less a call than the
session and Core path. `load_many` (the console's) stays on SQLAlchemy.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Row, bindparam, insert, select, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from agent.events import Event
from server.db.engine import json_dumps
from server.db.errors import UnknownConversation
from server.db.models import Conversation, DialogueEvent

_CONVERSATIONS = Conversation.__table__
_EVENTS = DialogueEvent.__table__
_BUMP = (  # the next `n` sequence numbers of conversation `cid`: the new last one
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("cid"))
    .values(last_seq=_CONVERSATIONS.c.last_seq + bindparam("n"))
    .returning(_CONVERSATIONS.c.last_seq)
)
_INSERT = insert(_EVENTS)
_COLUMNS = (_EVENTS.c.type, _EVENTS.c.conversation_id, _EVENTS.c.seq, _EVENTS.c.at, _EVENTS.c.event_id,
            _EVENTS.c.payload)  # rows, not ORM objects: an event is rebuilt from them at once
# The same statements for the driver (SQLite): what the Core ones compile to there
_SQLITE_BUMP = "UPDATE conversations SET last_seq = last_seq + ? WHERE id = ? RETURNING last_seq"
_SQLITE_INSERT = ("INSERT INTO dialogue_events (event_id, conversation_id, seq, type, payload, at) "
                  "VALUES (?, ?, ?, ?, ?, ?)")
_SQLITE_LOAD = ("SELECT type, conversation_id, seq, at, event_id, payload FROM dialogue_events "
                "WHERE conversation_id = ? AND seq > ? ORDER BY seq")
# ... and for psycopg (PostgreSQL): the payload goes as JSON text cast to jsonb, the time as an aware datetime
_PG_BUMP = "UPDATE conversations SET last_seq = last_seq + %s WHERE id = %s RETURNING last_seq"
_PG_INSERT = ("INSERT INTO dialogue_events (event_id, conversation_id, seq, type, payload, at) "
              "VALUES (%s, %s, %s, %s, %s::jsonb, %s)")
_PG_LOAD = _SQLITE_LOAD.replace("?", "%s")
_SQLITE_APPENDS: dict[str, threading.Lock] = {}  # per database file: the appends of this process, one at a time
_SQLITE_APPENDS_GUARD = threading.Lock()


def _sqlite_at(at: datetime) -> str:
    """What SQLAlchemy stores for a `UTCDateTime` on SQLite: naive UTC, always with microseconds."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_event(row: tuple[Any, ...]) -> Event:
    kind, conversation_id, seq, at, event_id, payload = row
    return Event.from_record(type=kind, conversation_id=conversation_id, seq=seq,
                             at=datetime.fromisoformat(at).replace(tzinfo=UTC), id=event_id,
                             payload=json.loads(payload))


def _utc(at: datetime) -> datetime:
    """As `UTCDateTime` stores a time: a naive one is UTC already."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _pg_event(row: tuple[Any, ...]) -> Event:
    kind, conversation_id, seq, at, event_id, payload = row
    return Event.from_record(type=kind, conversation_id=conversation_id, seq=seq, at=at.astimezone(UTC), id=event_id,
                             payload=payload)


@dataclass
class _Group:
    """The appends waiting on one event loop for the next group commit, and whether a writer is running."""

    waiting: list[tuple[str, list[Event], asyncio.Future[list[Event]]]] = field(default_factory=list)
    writing: asyncio.Task[None] | None = None


def _checked(conversation_id: str, events: Sequence[Event]) -> list[Event]:
    events = list(events)
    for ev in events:
        if ev.conversation_id != conversation_id:
            raise ValueError(f"event {ev.id} belongs to {ev.conversation_id!r}, not {conversation_id!r}")
    return events


class SqlEventStore:
    """Async facade over blocking SQL; each call runs in a worker thread."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory
        bind = session_factory.kw.get("bind")
        self._engine: Engine | None = None  # set when appends and loads go to the driver (SQLite)
        self._appends: threading.Lock | None = None
        self._pg: Engine | None = None  # set when they go to psycopg (PostgreSQL)
        if isinstance(bind, Engine) and bind.dialect.name == "postgresql" and bind.dialect.driver == "psycopg":
            self._pg = bind
        # (not an in-memory database: its one connection is shared by every thread, so not ours to begin on)
        if (isinstance(bind, Engine) and bind.dialect.name == "sqlite" and bind.dialect.driver == "pysqlite"
                and not isinstance(bind.pool, StaticPool)):
            self._engine = bind
            with _SQLITE_APPENDS_GUARD:
                self._appends = _SQLITE_APPENDS.setdefault(str(bind.url), threading.Lock())
        self._groups: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Group] = weakref.WeakKeyDictionary()

    async def append(self, conversation_id: str, events: Sequence[Event]) -> list[Event]:
        if self._engine is None:
            return await asyncio.to_thread(self.append_sync, conversation_id, events)
        events = _checked(conversation_id, events)
        if not events:
            return []
        loop = asyncio.get_running_loop()
        group = self._groups.get(loop)
        if group is None:
            group = self._groups[loop] = _Group()
        done: asyncio.Future[list[Event]] = loop.create_future()
        group.waiting.append((conversation_id, events, done))
        if group.writing is None:
            group.writing = loop.create_task(self._write_groups(group))
        return await done

    async def _write_groups(self, group: _Group) -> None:
        """Write what is waiting, one group at a time, until nothing is; each caller released after its commit."""
        try:
            while group.waiting:
                batch, group.waiting = group.waiting, []
                outcomes: list[list[Event] | BaseException]
                try:
                    outcomes = await asyncio.to_thread(self._append_sqlite_group, [(c, e) for c, e, _ in batch])
                except Exception as exc:  # before any transaction (no connection to be had): each caller's failure
                    outcomes = [exc] * len(batch)
                except BaseException:  # the writer itself cancelled (the loop closing): so are its callers
                    for _, _, done in batch + group.waiting:
                        done.cancel()
                    group.waiting = []
                    raise
                for (_, _, done), outcome in zip(batch, outcomes, strict=True):
                    if done.done():  # its caller was cancelled meanwhile: the events are stored all the same
                        continue
                    if isinstance(outcome, BaseException):
                        done.set_exception(outcome)
                    else:
                        done.set_result(outcome)
        finally:
            group.writing = None

    async def load(self, conversation_id: str, after: int = 0) -> list[Event]:
        return await asyncio.to_thread(self.load_sync, conversation_id, after)

    async def load_many(self, after: Mapping[str, int]) -> dict[str, list[Event]]:
        return await asyncio.to_thread(self.load_many_sync, after)

    def append_sync(self, conversation_id: str, events: Sequence[Event]) -> list[Event]:
        """Store `events` with the next sequence numbers; sets `event.seq` and returns the events."""
        events = _checked(conversation_id, events)
        if not events:
            return []
        if self._engine is not None:
            return self._append_sqlite(conversation_id, events)
        if self._pg is not None:
            return self._append_pg(conversation_id, events)
        with self._sessions.begin() as session:
            connection = session.connection()
            last = connection.execute(_BUMP, {"cid": conversation_id, "n": len(events)}).scalar_one_or_none()
            if last is None:
                raise UnknownConversation(conversation_id)
            first = last - len(events) + 1
            rows = [
                {
                    "event_id": ev.id,
                    "conversation_id": conversation_id,
                    "seq": first + i,
                    "type": ev.type,
                    "payload": ev.to_payload(),
                    "at": ev.at,
                }
                for i, ev in enumerate(events)
            ]
            connection.execute(_INSERT, rows)
        for i, ev in enumerate(events):
            ev.seq = first + i
        return events

    def _append_sqlite(self, conversation_id: str, events: list[Event]) -> list[Event]:
        outcome = self._append_sqlite_group([(conversation_id, events)])[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _append_sqlite_group(
        self, appends: list[tuple[str, list[Event]]]
    ) -> list[list[Event] | BaseException]:
        """Each append's events with its own next sequence numbers, all in one transaction; what each append came to
        (its events, or the exception that refused it: with more than one append, a failed transaction is tried
        again one append at a time, so a failure is only its own)."""
        assert self._engine is not None and self._appends is not None
        rows = [[(ev.id, cid, ev.type, json_dumps(ev.to_payload()), _sqlite_at(ev.at)) for ev in events]
                for cid, events in appends]
        firsts: list[int] = []
        pooled = self._engine.raw_connection()
        try:
            connection = pooled.driver_connection
            with self._appends:
                if connection.in_transaction:  # left open by an earlier user of the pooled connection: not ours
                    connection.rollback()
                try:
                    connection.execute("BEGIN IMMEDIATE")  # one transaction, the write lock taken at once
                    for (cid, events), its_rows in zip(appends, rows, strict=True):
                        last = connection.execute(_SQLITE_BUMP, (len(events), cid)).fetchone()
                        if last is None:
                            raise UnknownConversation(cid)
                        first = last[0] - len(events) + 1
                        connection.executemany(_SQLITE_INSERT, [(r[0], r[1], first + i, *r[2:])
                                                                for i, r in enumerate(its_rows)])
                        firsts.append(first)
                    connection.commit()
                except BaseException as exc:
                    if connection.in_transaction:
                        connection.rollback()
                    if len(appends) == 1 or not isinstance(exc, Exception):
                        if isinstance(exc, Exception):
                            return [exc]
                        raise
                    firsts = []
        finally:
            pooled.close()  # back to the pool
        if not firsts:  # the group failed: each append alone
            return [self._append_sqlite_alone(cid, events) for cid, events in appends]
        for (_, events), first in zip(appends, firsts, strict=True):
            for i, ev in enumerate(events):
                ev.seq = first + i
        return [events for _, events in appends]

    def _append_sqlite_alone(self, conversation_id: str, events: list[Event]) -> list[Event] | BaseException:
        try:
            return self._append_sqlite(conversation_id, events)
        except Exception as exc:
            return exc

    @contextlib.contextmanager
    def _pg_connection(self) -> Iterator[Any]:
        """A pooled connection (checked out as any is, pre-ping included), back to the pool afterwards; one the
        database dropped (a restart) is discarded, not pooled again."""
        assert self._pg is not None
        pooled = self._pg.raw_connection()
        try:
            yield pooled
        except BaseException:
            if pooled.driver_connection is not None and pooled.driver_connection.closed:
                pooled.invalidate()
            raise
        finally:
            pooled.close()

    def _append_pg(self, conversation_id: str, events: list[Event]) -> list[Event]:
        with self._pg_connection() as pooled:
            try:
                with pooled.cursor() as cursor:
                    cursor.execute(_PG_BUMP, (len(events), conversation_id))
                    last = cursor.fetchone()
                    if last is None:
                        raise UnknownConversation(conversation_id)
                    first = last[0] - len(events) + 1
                    rows = [
                        (ev.id, conversation_id, first + i, ev.type, json_dumps(ev.to_payload()), _utc(ev.at))
                        for i, ev in enumerate(events)
                    ]
                    if len(rows) == 1:  # (executemany's pipeline costs more than it saves for one row)
                        cursor.execute(_PG_INSERT, rows[0])
                    else:
                        cursor.executemany(_PG_INSERT, rows)
                pooled.commit()
            except BaseException:
                if not pooled.driver_connection.closed:
                    with contextlib.suppress(Exception):  # the first failure is the one to report
                        pooled.rollback()
                raise
        for i, ev in enumerate(events):
            ev.seq = first + i
        return events

    def load_sync(self, conversation_id: str, after: int = 0) -> list[Event]:
        """Events with seq > `after`, oldest first (empty for an unknown conversation)."""
        if self._engine is not None:
            pooled = self._engine.raw_connection()
            try:
                rows = pooled.driver_connection.execute(_SQLITE_LOAD, (conversation_id, after)).fetchall()
            finally:
                pooled.close()
            return [_sqlite_event(row) for row in rows]
        if self._pg is not None:
            with self._pg_connection() as pooled:
                with pooled.cursor() as cursor:
                    cursor.execute(_PG_LOAD, (conversation_id, after))
                    rows = cursor.fetchall()
                pooled.commit()  # ends the read's transaction here rather than in the pool's reset
            return [_pg_event(row) for row in rows]
        stmt = (
            select(*_COLUMNS)
            .where(_EVENTS.c.conversation_id == conversation_id, _EVENTS.c.seq > after)
            .order_by(_EVENTS.c.seq)
        )
        with self._sessions() as session:
            return [_event(row) for row in session.connection().execute(stmt)]

    def load_many_sync(self, after: Mapping[str, int], *, per_query: int = 500) -> dict[str, list[Event]]:
        """Events of many conversations (conversation id -> seq after which to read), oldest first per conversation,
        in one query per `per_query` conversations; a conversation with no new events maps to an empty list."""
        out: dict[str, list[Event]] = {cid: [] for cid in after}
        ids = list(out)
        with self._sessions() as session:
            for start in range(0, len(ids), per_query):
                chunk = ids[start : start + per_query]
                stmt = (
                    select(*_COLUMNS)
                    .where(_EVENTS.c.conversation_id.in_(chunk), _EVENTS.c.seq > min(after[cid] for cid in chunk))
                    .order_by(_EVENTS.c.conversation_id, _EVENTS.c.seq)
                )
                for row in session.connection().execute(stmt):
                    if row.seq > after[row.conversation_id]:
                        out[row.conversation_id].append(_event(row))
        return out


def _event(row: Row[Any]) -> Event:
    return Event.from_record(type=row.type, conversation_id=row.conversation_id, seq=row.seq, at=row.at,
                             id=row.event_id, payload=row.payload)
