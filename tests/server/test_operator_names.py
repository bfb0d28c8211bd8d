"""Customers see an operator's display name, never their login: the name lookup and the frames built with it."""

from __future__ import annotations

import asyncio

import pytest

from agent.events import HandedBack, HandoffRequested, OperatorJoined, OperatorUttered
from server.channels.frames import customer_event, event_frame
from server.db.engine import make_engine, make_session_factory
from server.db.migrate import upgrade
from server.db.operators import OperatorRepository
from server.operators.names import OperatorNames

pytestmark = pytest.mark.integration  # a real (SQLite) database


class Counting(OperatorRepository):
    calls = 0

    def display_names(self, usernames):  # type: ignore[no-untyped-def]
        Counting.calls += 1
        return super().display_names(usernames)


def test_names_are_looked_up_once_per_minute_and_unknown_logins_stay_hidden(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    repo = Counting(make_session_factory(engine))
    repo.create(username="wangfang", display_name="王芳", role="operator", password_hash="x")
    now = [0.0]
    names = OperatorNames(repo, ttl_s=60, clock=lambda: now[0])
    joined = OperatorJoined(conversation_id="c" * 32, operator="wangfang", seq=3)
    said = OperatorUttered(conversation_id="c" * 32, operator="wangfang", text="您好", seq=4)
    ghost = OperatorUttered(conversation_id="c" * 32, operator="deleted-account", text="hi", seq=5)

    assert asyncio.run(names.for_events([HandoffRequested(conversation_id="c" * 32, reason="x")])) == {}
    assert Counting.calls == 0  # no operator event, no query
    mapping = asyncio.run(names.for_events([joined, said, ghost]))
    assert mapping == {"wangfang": "王芳"} and Counting.calls == 1
    asyncio.run(names.for_events([said]))
    assert Counting.calls == 1  # cached
    now[0] = 61.0
    asyncio.run(names.for_events([said]))
    assert Counting.calls == 2  # refreshed after a minute

    assert event_frame(joined, None, mapping) == {"type": "handoff", "seq": 3, "status": "operator", "operator": "王芳"}
    assert event_frame(said, None, mapping)["operator"] == "王芳"
    assert event_frame(ghost, None, mapping)["operator"] is None  # the widget then says "agent"
    back = HandedBack(conversation_id="c" * 32, operator="wangfang", seq=6)
    assert event_frame(back, None, mapping)["operator"] == "王芳"
    assert customer_event(said, mapping)["payload"] == {"operator": "王芳", "text": "您好"}
    assert customer_event(ghost, mapping)["payload"]["operator"] is None
    engine.dispose()
