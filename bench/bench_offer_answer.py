"""CPU of one offers answer (issue 17): `OffersTool._answer` as the tool runs it in its thread (the SQL reads, the
bandit's choice, the wording, the citation), with the SQL statements and pooled checkouts it makes. CPU of this
process, the minimum and median of `--rounds` passes over one answer per conversation (each conversation's second,
so experiments are assigned and what is read once is read), so an interleaved A/B of two worktrees shows a change.

    .venv/bin/python bench/bench_offer_answer.py [--conversations 40] [--rounds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from timing import demo_store_and_index


async def run(conversations: int, rounds: int) -> None:
    from sqlalchemy import event

    from agent.pipeline import TurnInput
    from server.runtime import build_runtime
    from server.settings import Settings

    url, index_dir = demo_store_and_index("kefu-offer-answer-", customers=200, orders=2000)
    runtime = build_runtime(Settings(database_url=url, index_dir=index_dir))
    seen = {"sql": 0, "checkouts": 0}

    def count(kind: str) -> Any:
        def bump(*_: Any) -> None:
            seen[kind] += 1
        return bump

    event.listen(runtime.engine, "before_cursor_execute", count("sql"))
    event.listen(runtime.engine.pool, "checkout", count("checkouts"))
    tool: Any = runtime.agent.tools.get("offers")
    answer = tool._answer
    calls: list[tuple[Any, ...]] = []

    def kept(*args: Any) -> Any:
        calls.append(args)
        return answer(*args)

    tool._answer = kept
    for i, customer in enumerate(runtime.customers.list_demo(conversations)):
        cid, _ = runtime.conversations.create(channel="api", customer_id=customer["customer_id"], language=None)
        await runtime.agent.start(cid, channel="api", customer_id=customer["customer_id"], language=None)
        for _ in range(2):
            await runtime.agent.handle(cid, TurnInput("有什么优惠券吗" if i % 2 == 0 else "any coupons for me?"))
    tool._answer = answer
    calls = calls[1::2]
    ms = []
    for _ in range(rounds):
        t0 = time.process_time()
        for args in calls:
            answer(*args)
        ms.append((time.process_time() - t0) * 1000 / len(calls))
    seen.update(sql=0, checkouts=0)
    for args in calls:
        answer(*args)
    ms.sort()
    print(f"offers answer: CPU min {ms[0]:.3f} ms, median {ms[len(ms) // 2]:.3f} ms; "
          f"SQL {seen['sql'] / len(calls):.2f}, checkouts {seen['checkouts'] / len(calls):.2f} an answer "
          f"({len(calls)} answers x {rounds})")
    runtime.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--conversations", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(run(args.conversations, args.rounds))
