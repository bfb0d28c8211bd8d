"""What each turn kind costs in countable work (issue 17): thread hops, SQL statements through the engine, and pooled
connections checked out, per script line of bench_turn's and the load client's mixes.

Counts, not times: they do not move with another process's load on a shared 2-core machine, so an A/B of a change
that saves a hop or a query shows exactly (the SQLite event appends use raw connections: checked out, not counted as
statements). Beside them, the CPU each line cost this process (all its threads, ms): a time, so only a guide to which
lines are worth a look (another process's load moves it a little).

    .venv/bin/python bench/count_turn.py
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from bench_turn import SCRIPTS
from load_client import QUESTIONS
from timing import demo_store_and_index

KINDS = ("hops", "sql", "checkouts", "cpu_ms")


async def run() -> None:
    from sqlalchemy import event

    from agent.pipeline import TurnInput
    from server.runtime import build_runtime
    from server.settings import Settings

    url, index_dir = demo_store_and_index("kefu-count-", customers=200, orders=2000)
    runtime = build_runtime(Settings(database_url=url, index_dir=index_dir))
    seen: dict[str, float] = defaultdict(float)

    def count(kind: str) -> Callable[..., None]:
        def bump(*_: Any) -> None:
            seen[kind] += 1
        return bump

    event.listen(runtime.engine, "before_cursor_execute", count("sql"))
    event.listen(runtime.engine.pool, "checkout", count("checkouts"))
    loop = asyncio.get_running_loop()
    submit = loop.run_in_executor

    def counted(executor: Any, fn: Callable[..., Any], *args: Any) -> Any:
        seen["hops"] += 1
        return submit(executor, fn, *args)

    loop.run_in_executor = counted  # type: ignore[method-assign]
    rows: dict[tuple[str, str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    customers = runtime.customers.list_demo(20)
    for mix, scripts in (("bench_turn", SCRIPTS), ("load", QUESTIONS)):
        for i, cust in enumerate(customers):
            lang = "zh" if i % 2 == 0 else "en"
            orders = [o["order_id"] for o in cust["orders"]]
            cid, _ = runtime.conversations.create(channel="api", customer_id=cust["customer_id"], language=None)
            await runtime.agent.start(cid, channel="api", customer_id=cust["customer_id"], language=None)
            for j, line in enumerate(scripts[lang]):
                before = dict(seen)
                cpu0 = time.process_time()
                await runtime.agent.handle(cid, TurnInput(line.format(transit=orders[0], old=orders[-1])))
                seen["cpu_ms"] += (time.process_time() - cpu0) * 1000
                for kind in KINDS:
                    rows[(mix, lang, j)][kind] += (seen[kind] - before.get(kind, 0)) / (len(customers) / 2)
    print("mix         line   hops    sql  checkouts  cpu ms  text")
    for (mix, lang, j), r in sorted(rows.items()):
        text = (SCRIPTS if mix == "bench_turn" else QUESTIONS)[lang][j]
        print(f"{mix:10s} {lang} {j}  {r['hops']:5.2f}  {r['sql']:5.1f}  {r['checkouts']:9.1f}  {r['cpu_ms']:6.1f}  "
              f"{text[:32]}")
    for mix in ("bench_turn", "load"):
        mine = [r for key, r in rows.items() if key[0] == mix]
        print(f"{mix}: a turn on average " + ", ".join(
            f"{kind} {sum(r[kind] for r in mine) / len(mine):.2f}" for kind in KINDS))
    runtime.close()


if __name__ == "__main__":
    asyncio.run(run())
