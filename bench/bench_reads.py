"""Issue 17 bench: per-call wall and CPU time of the ORM read paths (legacy_reads) and the Core ones, in one process
on one demo store (the baseline, `tests/server/db/legacy_reads.py`, is what the equivalence test compares with).

    .venv/bin/python bench/bench_reads.py [--pg URL] [--calls 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from itertools import cycle, islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from server.db.catalog import SqlProductCatalog
from server.db.engine import make_engine, make_session_factory
from server.db.models import Customer, Order
from server.db.offers import SqlCampaignStore
from server.db.orders import SqlOrderRepository
from server.demo.build import build_demo_store
from tests.server.db.legacy_reads import orm_get_order, orm_history, orm_list_orders, orm_search

QUERIES = ["手机", "phone case", "华为 手机壳", "iphone", "耳机 降噪", "coffee", "蓝牙 耳机", "充电器"]


def _time(fn: Callable[[object], object], args: list[object]) -> tuple[float, float]:
    """Mean wall and CPU milliseconds per call over `args` (after 10 warm-up calls)."""
    for a in args[:10]:
        fn(a)
    wall, cpu = time.perf_counter(), time.process_time()
    for a in args:
        fn(a)
    n = len(args)
    return (time.perf_counter() - wall) * 1000 / n, (time.process_time() - cpu) * 1000 / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", help="an empty PostgreSQL database URL (default: a temporary SQLite file)")
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--customers", type=int, default=1000)
    ap.add_argument("--orders", type=int, default=10000)
    opts = ap.parse_args()
    url = opts.pg or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    build_demo_store(url, seed=7, as_of=date(2026, 11, 20), customers=opts.customers, orders=opts.orders)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions() as s:
        customers = list(islice(cycle(s.scalars(select(Customer.id).order_by(Customer.id))), opts.calls))
        orders = list(islice(cycle(s.scalars(select(Order.id).order_by(Order.id.desc()))), opts.calls))
    queries = list(islice(cycle(QUERIES), opts.calls))
    unique = [f"{q} {i}" for i, q in enumerate(queries)]  # never seen before: no cached statement
    repo, store, catalog = SqlOrderRepository(sessions), SqlCampaignStore(sessions), SqlProductCatalog(sessions)
    cases = [
        ("list_orders (limit 5)", lambda c: orm_list_orders(sessions, c), repo.list_orders, customers),
        ("get_order", lambda o: orm_get_order(sessions, o), repo.get_order, orders),
        ("history", lambda c: orm_history(sessions, c), store.history, customers),
        (
            "search (repeated text)",
            lambda q: orm_search(catalog, sessions, text=q),
            lambda q: catalog.search(text=q),
            queries,
        ),
        (
            "search (new text)",
            lambda q: orm_search(catalog, sessions, text=q),
            lambda q: catalog.search(text=q),
            unique,
        ),
    ]
    print(f"{engine.dialect.name}, {opts.customers} customers, {opts.orders} orders, {opts.calls} calls each")
    print(
        f"{'path':24} {'ORM wall ms':>12} {'ORM cpu ms':>11} {'Core wall ms':>13} {'Core cpu ms':>12} {'speed-up':>9}"
    )
    for name, old, new, args in cases:
        ow, oc = _time(old, args)
        nw, nc = _time(new, args)
        print(f"{name:24} {ow:12.2f} {oc:11.2f} {nw:13.2f} {nc:12.2f} {ow / nw:8.1f}x")
    engine.dispose()


if __name__ == "__main__":
    main()
