"""Where a text turn's CPU goes (issue 17, point 5): bench_turn's turns, each stage's CPU, the e5 part apart.

The executors run inline (every stage on this thread, so each stage's CPU is its own and nothing overlaps), and the
pipeline's stages are wrapped with timers of this process's CPU, exclusive of the stages nested in them. Prints the
mean per turn of each stage, the same per script line (which turn kinds are heavy, which carry e5), and the executor
hops a turn makes in the server (counted without the inline executors). CPU, not wall time: a machine shared with
other work disturbs it less.

    .venv/bin/python bench/profile_turn.py [--turns 400] [--lines]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from bench_turn import SCRIPTS
from timing import demo_store_and_index, pct


class Inline(ThreadPoolExecutor):
    """Runs each call at once on the caller's thread (asyncio wants a ThreadPoolExecutor)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        done: Future[Any] = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            done.set_exception(exc)
        return done


class Stages:
    """Exclusive CPU per stage: a stage's time minus that of the stages it calls."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[str] = []

    def wrap(self, owner: Any, name: str, label: str) -> None:
        fn = getattr(owner, name)
        stages = self

        def close(start: float) -> None:
            spent = time.process_time() - start
            stages._stack.pop()
            stages.cpu[label] += spent
            stages.calls[label] += 1
            if stages._stack:
                stages.cpu[stages._stack[-1]] -= spent

        if asyncio.iscoroutinefunction(fn):

            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                start = time.process_time()
                stages._stack.append(label)
                try:
                    return await fn(*args, **kwargs)
                finally:
                    close(start)

            setattr(owner, name, timed_async)
        else:

            def timed(*args: Any, **kwargs: Any) -> Any:
                start = time.process_time()
                stages._stack.append(label)
                try:
                    return fn(*args, **kwargs)
                finally:
                    close(start)

            setattr(owner, name, timed)

    def snapshot(self) -> dict[str, float]:
        return dict(self.cpu)


def instrument(agent: Any, stages: Stages) -> None:
    import agent.pipeline as pipeline

    for owner, name, label in [
        (pipeline, "detect_language", "language"),
        (agent.affect, "analyze", "affect (e5 refine inside)"),
        (agent.nlu, "parse", "nlu"),
        (agent.tools, "with_cues", "nlu cues"),
        (pipeline, "decide", "decide"),
        (pipeline, "effective_intent", "intent"),
        (pipeline, "replay", "state replay"),
        (agent.store, "append_sync", "event store append"),
        (agent.store, "load_sync", "event store load"),
        (agent, "on_events", "publish (metrics, feedback, console)"),
        (pipeline, "run_tool", "tool call"),
        (pipeline, "preview_tool", "tool preview"),
        (agent.retriever, "search", "retrieval (e5 inside)"),
        (agent.nlg, "compose", "nlg"),
        (pipeline, "follow_up", "follow-up offers"),
        (agent, "_act_and_respond", "act (rest)"),
        (agent, "_turn", "turn (rest)"),
        (agent, "handle", "handle (rest)"),
    ]:
        stages.wrap(owner, name, label)


async def run(turns: int, lines: bool) -> None:
    from agent.e5 import shared_e5
    from server.runtime import build_runtime
    from server.settings import Settings

    url, index_dir = demo_store_and_index("kefu-profile-", customers=200, orders=2000)
    runtime = build_runtime(Settings(database_url=url, index_dir=index_dir))
    runtime.settle_heap()
    agent, e5, stages = runtime.agent, shared_e5(), Stages()
    loop = asyncio.get_running_loop()
    hops: dict[str, int] = defaultdict(int)
    submit = loop.run_in_executor

    def counted(executor: Any, fn: Callable[..., Any], *args: Any) -> Any:
        hops["model threads" if executor is agent.model_executor else "default threads"] += 1
        return submit(executor, fn, *args)

    loop.run_in_executor = counted  # type: ignore[method-assign]
    await _turns(runtime, min(turns, 100), e5, [])  # the server's hops, with real threads
    counted_turns, hop_counts = min(turns, 100), dict(hops)
    loop.set_default_executor(Inline())
    agent.model_executor = Inline()
    instrument(agent, stages)
    rows: list[tuple[str, int, float, float, dict[str, float]]] = []
    await _turns(runtime, turns, e5, rows, stages)
    cpu = [r[2] for r in rows]
    e5_cpu = [r[3] for r in rows]
    rest = [c - e for c, e in zip(cpu, e5_cpu, strict=True)]
    print(
        f"turns: {len(rows)}   CPU per turn: mean {statistics.mean(cpu):.2f} ms, p50 {statistics.median(cpu):.2f}, "
        f"p99 {pct(cpu, 0.99):.2f}; e5 {statistics.mean(e5_cpu):.2f} ms a turn; without e5: mean "
        f"{statistics.mean(rest):.2f}, p50 {statistics.median(rest):.2f}, p99 {pct(rest, 0.99):.2f}"
    )
    print(
        "executor hops a turn (server threads): "
        + ", ".join(f"{k} {v / counted_turns:.2f}" for k, v in sorted(hop_counts.items()))
    )
    print("stage CPU, ms per turn (exclusive):")
    for label, spent in sorted(stages.cpu.items(), key=lambda kv: -kv[1]):
        print(f"  {label:38s} {spent * 1000 / len(rows):7.3f}   calls a turn {stages.calls[label] / len(rows):.2f}")
    if lines:
        print("per script line: mean CPU, e5, without e5, top stages (ms)")
        by: dict[tuple[str, int], list[tuple[float, float, dict[str, float]]]] = defaultdict(list)
        for lang, j, c, e, spent in rows:
            by[(lang, j)].append((c, e, spent))
        for (lang, j), group in sorted(by.items()):
            c = statistics.mean(g[0] for g in group)
            e = statistics.mean(g[1] for g in group)
            mean_stage: dict[str, float] = defaultdict(float)
            for g in group:
                for k, v in g[2].items():
                    mean_stage[k] += v / len(group)
            top = sorted(mean_stage.items(), key=lambda kv: -kv[1])[:4]
            print(
                f"  {lang} {j} {c:6.2f} {e:6.2f} {c - e:6.2f}  {SCRIPTS[lang][j][:28]:28s} "
                + " ".join(f"{k.split(' (')[0]}={v:.1f}" for k, v in top)
            )
    runtime.close()


async def _turns(runtime: Any, turns: int, e5: Any, rows: list[Any], stages: Stages | None = None) -> None:
    from agent.pipeline import TurnInput

    agent, done = runtime.agent, 0
    while done < turns:
        for i, cust in enumerate(runtime.customers.list_demo(20)):
            lang = "zh" if i % 2 == 0 else "en"
            orders = [o["order_id"] for o in cust["orders"]]
            cid, _ = runtime.conversations.create(channel="api", customer_id=cust["customer_id"], language=None)
            await agent.start(cid, channel="api", customer_id=cust["customer_id"], language=None)
            for j, line in enumerate(SCRIPTS[lang]):
                e5.forget()  # as bench_turn: each turn embeds its own words
                before = stages.snapshot() if stages else {}
                query_cpu, start = e5.query_cpu, time.process_time()
                await agent.handle(cid, TurnInput(line.format(transit=orders[0], old=orders[-1])))
                spent = {k: (v - before.get(k, 0.0)) * 1000 for k, v in stages.snapshot().items()} if stages else {}
                rows.append((lang, j, (time.process_time() - start) * 1000, (e5.query_cpu - query_cpu) * 1000, spent))
                done += 1
            if done >= turns:
                return


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--turns", type=int, default=400)
    parser.add_argument("--lines", action="store_true", help="also the figures of each script line")
    args = parser.parse_args()
    asyncio.run(run(args.turns, args.lines))
