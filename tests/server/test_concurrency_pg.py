"""Several writers on one PostgreSQL database: sequence numbers stay gap-free and unique, and a
conversation's turns run one at a time across processes (`PgTurnLock`)."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from itertools import pairwise
from typing import Any

import pytest

from agent.events import UserUttered
from server.db.conversations import ConversationRepository
from server.db.engine import make_engine, make_session_factory
from server.db.events import SqlEventStore
from server.db.migrate import upgrade
from server.infra.locks import PgTurnLock
from tests.services import fresh_pg_database

pytestmark = [pytest.mark.postgres, pytest.mark.integration]

THREADS, APPENDS = 4, 25  # per process; each append stores a batch of 1-3 events


@pytest.fixture(scope="module")
def pg_db() -> Iterator[str]:
    with fresh_pg_database() as url:
        upgrade(url)
        yield url


def _writer(url: str, conversation_id: str, worker: int, start: Any) -> list[int]:
    """One process: THREADS threads appending to the same conversation; the seqs they were given.

    `start` is a barrier shared by both processes: a spawned process can take seconds to import, and
    without it one process may finish before the other begins, so nothing would run concurrently."""
    engine = make_engine(url)
    store = SqlEventStore(make_session_factory(engine))
    store.load_sync(conversation_id)  # connect before the race starts
    start.wait(timeout=120)

    def run(thread: int) -> list[int]:
        seqs: list[int] = []
        for i in range(APPENDS):
            batch = [UserUttered(conversation_id=conversation_id, text=f"w{worker} t{thread} #{i}.{j}", language="en")
                     for j in range(1 + i % 3)]
            seqs += [e.seq for e in store.append_sync(conversation_id, batch)]
        return seqs

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            return [s for part in pool.map(run, range(THREADS)) for s in part]
    finally:
        engine.dispose()


def test_seq_is_gap_free_and_unique_with_writers_in_two_processes(pg_db: str) -> None:
    engine = make_engine(pg_db)
    try:
        cid, _ = ConversationRepository(make_session_factory(engine)).create(channel="web", customer_id=None)
        ctx = multiprocessing.get_context("spawn")
        with ctx.Manager() as manager, ProcessPoolExecutor(2, mp_context=ctx) as pool:
            start = manager.Barrier(2)
            given = [s for part in pool.map(_writer, [pg_db] * 2, [cid] * 2, [0, 1], [start] * 2) for s in part]
        events = SqlEventStore(make_session_factory(engine)).load_sync(cid)
    finally:
        engine.dispose()
    per_process = THREADS * sum(1 + i % 3 for i in range(APPENDS))
    assert len(given) == len(set(given)) == 2 * per_process
    assert [e.seq for e in events] == list(range(1, 2 * per_process + 1)) == sorted(given)
    assert len({e.id for e in events}) == len(events)
    # both processes really interleaved (otherwise this test proves little)
    owners = [e.text.split()[0] for e in events]
    assert sum(a != b for a, b in pairwise(owners)) > 2


async def test_turn_lock_excludes_across_connections_and_frees_on_error(pg_db: str) -> None:
    """Two locks = two workers' sessions: never inside one conversation together; others run alongside."""
    a, b = PgTurnLock(pg_db), PgTurnLock(pg_db)
    inside: dict[str, int] = {"c1": 0, "c2": 0}
    most: dict[str, int] = {"c1": 0, "c2": 0}

    async def turn(lock: PgTurnLock, cid: str) -> None:
        async with lock.hold(cid):
            inside[cid] += 1
            most[cid] = max(most[cid], inside[cid])
            await asyncio.sleep(0.02)
            inside[cid] -= 1

    try:
        await asyncio.gather(*(turn(a if i % 2 else b, "c1") for i in range(12)))
        assert most["c1"] == 1

        with pytest.raises(RuntimeError):
            async with a.hold("c1"):
                raise RuntimeError("a turn that fails")
        await asyncio.wait_for(turn(b, "c1"), 5)  # released despite the failure

        async with a.hold("c1"):  # a held conversation does not block another one
            await asyncio.wait_for(turn(b, "c2"), 5)
    finally:
        await a.aclose()
        await b.aclose()


async def test_turn_lock_waits_at_most_its_timeout(pg_db: str) -> None:
    from server.infra.locks import TurnLockTimeout

    a, b = PgTurnLock(pg_db), PgTurnLock(pg_db, timeout_s=0.3)
    try:
        async with a.hold("stuck"):
            with pytest.raises(TurnLockTimeout):
                async with b.hold("stuck"):
                    pass
    finally:
        await a.aclose()
        await b.aclose()
