"""Model work of turns (affect, NLU, query embeddings) runs on the agent's own small executor: a burst of turns
queues there, and the threads that database calls use (`asyncio.to_thread`) stay free."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from agent.protocols import Affect
from tests.fakes import FakeAffect, make_agent

pytestmark = pytest.mark.unit

MODEL_S = 0.25  # one slow model call (native code that holds a thread, as ONNX or numpy do)


class SlowAffect(FakeAffect):
    def __init__(self) -> None:
        super().__init__()
        self.running = self.most = 0
        self._lock = threading.Lock()

    def analyze(self, text: str, language: str) -> Affect:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(MODEL_S)
        with self._lock:
            self.running -= 1
        return super().analyze(text, language)


async def db_call_latency(turns: list[asyncio.Task[object]]) -> float:
    """The slowest of a few `to_thread` calls (what a repository call waits for a thread) while `turns` run."""
    await asyncio.sleep(0.05)  # the turns are in their model work now
    worst = 0.0
    for _ in range(5):
        start = time.perf_counter()
        await asyncio.to_thread(lambda: None)
        worst = max(worst, time.perf_counter() - start)
        await asyncio.sleep(0.02)
    await asyncio.gather(*turns)
    return worst


@pytest.mark.parametrize("own_executor", [True, False])
async def test_a_burst_of_model_work_leaves_database_threads_free(own_executor: bool,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    affect = SlowAffect()
    executor = ThreadPoolExecutor(1, thread_name_prefix="models") if own_executor else None
    agent = make_agent(affect=affect, model_executor=executor)
    loop = asyncio.get_running_loop()
    default = ThreadPoolExecutor(4, thread_name_prefix="db")  # the loop's threads, as a small server has them
    loop.set_default_executor(default)
    try:
        for n in range(12):
            await agent.start(f"c{n}", channel="web", customer_id="C1", language="en")
        turns = [asyncio.create_task(agent.handle(f"c{n}", "hello there")) for n in range(12)]
        worst = await db_call_latency(turns)  # type: ignore[arg-type]
    finally:
        if executor is not None:
            executor.shutdown()
    with capsys.disabled():
        print(f"\n[model work {'own executor' if own_executor else 'shared threads'}] 12 turns at once: slowest "
              f"to_thread call {worst * 1000:.1f} ms, model calls at once {affect.most}")
    if own_executor:
        assert affect.most == 1  # the model work is bounded to its executor's thread
        assert worst < MODEL_S / 2, worst  # a database call never waits behind it
    else:  # (what it guards against: on the shared threads the same burst makes database calls wait)
        assert affect.most > 1 and worst >= MODEL_S / 2, worst
