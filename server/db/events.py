"""`SqlEventStore`: the per-conversation dialogue event log (`agent.protocols.EventStore`).

Sequence numbers come from `conversations.last_seq`, bumped with UPDATE ... RETURNING in the same
transaction as the inserts: the row lock (PostgreSQL) or the write lock (SQLite) serialises
concurrent appenders, so numbers are unique and gap-free even with several writers. The two statements are built
once and run on the table (Core), not through the ORM's bulk paths: an append is on every turn's path, and the
ORM's per-statement work cost more than the database's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from agent.events import Event
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


class SqlEventStore:
    """Async facade over blocking SQL; each call runs in a worker thread."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    async def append(self, conversation_id: str, events: Sequence[Event]) -> list[Event]:
        return await asyncio.to_thread(self.append_sync, conversation_id, events)

    async def load(self, conversation_id: str, after: int = 0) -> list[Event]:
        return await asyncio.to_thread(self.load_sync, conversation_id, after)

    async def load_many(self, after: Mapping[str, int]) -> dict[str, list[Event]]:
        return await asyncio.to_thread(self.load_many_sync, after)

    def append_sync(self, conversation_id: str, events: Sequence[Event]) -> list[Event]:
        """Store `events` with the next sequence numbers; sets `event.seq` and returns the events."""
        events = list(events)
        if not events:
            return []
        for ev in events:
            if ev.conversation_id != conversation_id:
                raise ValueError(f"event {ev.id} belongs to {ev.conversation_id!r}, not {conversation_id!r}")
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

    def load_sync(self, conversation_id: str, after: int = 0) -> list[Event]:
        """Events with seq > `after`, oldest first (empty for an unknown conversation)."""
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
