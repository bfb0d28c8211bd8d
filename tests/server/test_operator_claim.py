"""Two operators must never both hold one conversation, even on two workers: the takeover is an atomic claim on
the conversation's row (`conversations.held_by`, migration 0003). Checked on SQLite and PostgreSQL, with racing
threads against the repository and with two runtimes (two "workers", each with its own in-process locks)
racing through the console's actions.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import column, insert, table

from agent.events import ConversationStarted, HandoffRequested, OperatorJoined
from server.db.conversations import ConversationRepository
from server.db.engine import make_engine, make_session_factory
from server.db.events import SqlEventStore
from server.db.migrate import upgrade
from server.db.models import Conversation, DialogueEvent
from server.db.operators import OperatorRow
from server.operators import actions
from server.runtime import Runtime, build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever
from tests.server.console_support import cheap_auth

pytestmark = pytest.mark.integration


@pytest.fixture
def repo(migrated_db_url: str) -> Iterator[ConversationRepository]:
    engine = make_engine(migrated_db_url)
    yield ConversationRepository(make_session_factory(engine))
    engine.dispose()


def test_claim_release_rules(repo: ConversationRepository) -> None:
    cid, _ = repo.create(channel="web")
    assert repo.holder(cid) is None
    assert repo.claim(cid, "wang") is True
    assert repo.claim(cid, "wang") is True  # claiming again is harmless
    assert repo.claim(cid, "li") is False and repo.holder(cid) == "wang"
    assert repo.claim(cid, "zhao", replacing="li") is False  # a supervisor must name the real holder
    assert repo.claim(cid, "zhao", replacing="wang") is True and repo.holder(cid) == "zhao"
    assert repo.release(cid, "wang") is False and repo.holder(cid) == "zhao"  # wang let go too late
    assert repo.release(cid, "zhao") is True and repo.holder(cid) is None
    assert repo.claim(cid, "li", replacing="zhao") is False  # zhao left: a free conversation is not "replaced"
    assert repo.claim(cid, "li") is True and repo.get(cid).held_by == "li"
    with pytest.raises(KeyError):
        repo.claim("0" * 32, "li")


def test_racing_claims_have_exactly_one_winner(repo: ConversationRepository) -> None:
    """Sixteen threads (own connections) claim one free conversation at the same moment."""
    contenders = 16
    for _ in range(3):
        cid, _ = repo.create(channel="web")
        start = threading.Barrier(contenders)

        def claim(i: int, cid: str = cid, start: threading.Barrier = start) -> bool:
            start.wait()
            return repo.claim(cid, f"op{i}")

        with ThreadPoolExecutor(contenders) as pool:
            won = list(pool.map(claim, range(contenders)))
        assert won.count(True) == 1
        assert repo.holder(cid) == f"op{won.index(True)}"


# ----------------------------------------------------------------------- two workers, through the actions


@pytest.fixture
def workers(db_url: str) -> Iterator[tuple[Runtime, Runtime, dict[str, OperatorRow]]]:
    settings = Settings(database_url=db_url)
    first = build_runtime(settings, retriever=KeywordRetriever(), llm=None, warm=False)
    second = build_runtime(settings, retriever=KeywordRetriever(), llm=None, warm=False)
    auth = cheap_auth(first.operators)
    ops = {
        role: auth.register(
            username=f"{role}-{uuid.uuid4().hex[:6]}",
            display_name=role.title(),
            role=role.rstrip("2"),
            password="claim test password",
        )
        for role in ("operator", "operator2", "supervisor")
    }
    yield first, second, ops
    first.close()
    second.close()


async def _queued(runtime: Runtime) -> str:
    cid, _ = runtime.conversations.create(channel="web")
    await runtime.agent.start(cid, channel="web", customer_id=None, language="zh")
    await runtime.agent.record(cid, [HandoffRequested(conversation_id=cid, reason="customer_asked")])
    return cid


async def _try(coro: object) -> object:
    try:
        return await coro  # type: ignore[misc]
    except actions.ActionRefused as exc:
        return exc


def test_two_workers_take_over_at_once_one_gets_409(workers) -> None:
    a, b, ops = workers

    async def scenario() -> None:
        for _ in range(4):
            cid = await _queued(a)
            results = await asyncio.gather(
                _try(actions.takeover(a, cid, ops["operator"])), _try(actions.takeover(b, cid, ops["operator2"]))
            )
            wins = [r for r in results if r is True]
            losses = [r for r in results if isinstance(r, actions.ActionRefused)]
            assert len(wins) == 1 and len(losses) == 1, results
            loser = losses[0]
            assert loser.status == 409 and loser.code == "held_by_other"
            winner = ops["operator"] if results[0] is True else ops["operator2"]
            assert winner.username in loser.message
            events = await a.agent.store.load(cid)
            joined = [e for e in events if isinstance(e, OperatorJoined)]
            assert [e.operator for e in joined] == [winner.username]
            assert a.conversations.holder(cid) == winner.username
            assert (await b.agent.state(cid)).operator == winner.username

    asyncio.run(scenario())


def test_handback_frees_the_claim_and_a_supervisor_takes_over_atomically(workers) -> None:
    a, b, ops = workers

    async def scenario() -> None:
        cid = await _queued(a)
        assert await actions.takeover(a, cid, ops["operator"]) is True
        refused = await _try(actions.takeover(b, cid, ops["operator2"]))
        assert isinstance(refused, actions.ActionRefused) and refused.code == "held_by_other"

        await actions.handback(b, cid, ops["operator"])  # on the other worker: the claim is in the database
        assert a.conversations.holder(cid) is None
        assert await actions.takeover(b, cid, ops["operator2"]) is True

        # a supervisor takes it from operator2 while operator2 hands back on the other worker: one wins
        results = await asyncio.gather(
            _try(actions.takeover(a, cid, ops["supervisor"])), _try(actions.handback(b, cid, ops["operator2"]))
        )
        state = await a.agent.state(cid)
        holder = a.conversations.holder(cid)
        if results[0] is True:  # the supervisor won: the handback was refused, the log agrees with the row
            assert isinstance(results[1], actions.ActionRefused) and results[1].status == 409
            assert state.handoff == "operator" and state.operator == holder == ops["supervisor"].username
        else:  # the handback won: the supervisor was refused, nobody holds it
            assert isinstance(results[0], actions.ActionRefused) and results[0].status == 409
            assert state.handoff == "bot" and holder is None

        # resolve (on either worker) lets go as well
        if holder:
            await actions.resolve(b, cid, ops["supervisor"])
            assert a.conversations.holder(cid) is None and (await a.agent.state(cid)).handoff == "bot"

    asyncio.run(scenario())


def test_migration_0003_backfills_the_holder_from_the_event_log(db_url: str) -> None:
    upgrade(db_url, "0002")
    engine = make_engine(db_url)
    now = datetime.now(UTC)
    held, released = uuid.uuid4().hex, uuid.uuid4().hex
    # the table as revision 0002 had it (the model's insert would name held_by, which does not exist yet)
    conversations_0002 = table(
        "conversations", *(column(c.name, c.type) for c in Conversation.__table__.columns if c.name != "held_by")
    )
    try:
        with engine.begin() as conn:
            for cid, handoff in ((held, "operator"), (released, "bot")):
                conn.execute(
                    insert(conversations_0002).values(
                        id=cid, channel="web", token_hash="0" * 64, created_at=now, last_seq=3, handoff=handoff
                    )
                )
            rows = []
            for cid in (held, released):
                rows += [
                    {"seq": 1, "type": "conversation_started", "payload": {"channel": "web"}},
                    {"seq": 2, "type": "operator_joined", "payload": {"operator": "wang"}},
                ]
                rows[-2]["conversation_id"] = rows[-1]["conversation_id"] = cid
            rows.append({"conversation_id": released, "seq": 3, "type": "handed_back", "payload": {"operator": "wang"}})
            conn.execute(
                insert(DialogueEvent.__table__), [{**r, "event_id": uuid.uuid4().hex, "at": now} for r in rows]
            )
        upgrade(db_url)
        repo = ConversationRepository(make_session_factory(engine))
        assert repo.holder(held) == "wang" and repo.holder(released) is None
        # the log replays to the same holder
        state_events = SqlEventStore(make_session_factory(engine)).load_sync(held)
        assert isinstance(state_events[0], ConversationStarted) and state_events[-1].operator == "wang"
    finally:
        engine.dispose()
