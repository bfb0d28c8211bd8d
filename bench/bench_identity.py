"""The identity graph on demo stores of several sizes: planted groups found, accounts linked that were not
planted, hubs, and how long the whole graph and the per-claim walk take (SQLite, seed 7).

    .venv/bin/python bench/bench_identity.py [--sizes 120:1200,1000:10000] [--walks 200]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from server.db.engine import make_engine, make_session_factory
from server.db.identities import SqlIdentityStore
from server.demo.build import build_demo_store
from server.demo.generate import generate, reference_now
from server.demo.identities import plan

AS_OF = date(2026, 11, 20)


def one(customers: int, orders: int, walks: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'kefu.db'}"
        build_demo_store(url, seed=7, as_of=AS_OF, customers=customers, orders=orders)
        planted = plan(7, generate(seed=7, as_of=AS_OF, customers=customers, orders=orders), reference_now(AS_OF))
        engine = make_engine(url)
        try:
            store = SqlIdentityStore(make_session_factory(engine))
            store.graph()  # warm: imports, first connection
            started = time.perf_counter()
            graph = store.graph()
            whole_ms = (time.perf_counter() - started) * 1000
            accounts = [f"C{i:05d}" for i in range(1, customers + 1)][:walks]
            times = []
            for a in accounts:
                started = time.perf_counter()
                walked = store.neighbourhood(a).group_of(a)
                times.append((time.perf_counter() - started) * 1000)
                assert walked == graph.group_of(a), a
        finally:
            engine.dispose()
    want = {p.accounts for p in planted.planted}
    got = {g.accounts for g in graph.groups}
    devices = [p for p in planted.planted if p.kind in ("device", "farm", "chain")]
    extra = {a for g in got - want for a in g}
    times.sort()
    print(f"{customers} customers, {orders} orders: "
          f"planted {len(want)} groups ({len(devices)} with a shared device), found {len(got & want)}, "
          f"groups not planted {len(got - want)} ({len(extra)} accounts), hubs {len(graph.hubs)}; "
          f"graph {whole_ms:.0f} ms, walk p50 {times[len(times) // 2]:.1f} ms p99 "
          f"{times[min(len(times) - 1, int(len(times) * 0.99))]:.1f} ms over {len(times)} accounts")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="120:1200,1000:10000")
    parser.add_argument("--walks", type=int, default=200)
    args = parser.parse_args()
    for size in args.sizes.split(","):
        customers, orders = (int(x) for x in size.split(":"))
        one(customers, orders, args.walks)


if __name__ == "__main__":
    main()
