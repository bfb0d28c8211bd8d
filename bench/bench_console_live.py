"""The operator console's live list (`ConsoleFeed.live`): how many SELECTs one call reads, and how long it takes,
with few conversations and with many (issue 17: "console `live()` without one query per conversation").

A demo store on SQLite (with its own few past conversations), then `--few` and `--many` open conversations (every
other one a signed-in customer's, the last one queued for a human after an angry message); for each size a fresh feed
(nothing cached) is read once with every statement counted, then read `--reads` more times to time it. The statement
count must not grow with the number of conversations; `tests/server/test_console_live_queries.py` asserts the same on
a hand-made store.

    .venv/bin/python bench/bench_console_live.py [--few 5] [--many 200] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _open(sessions: Any, customers: list[str], n: int) -> None:
    """`n` more conversations, each with one customer message; the last one angry and queued for a human."""
    from agent.events import AffectObserved, ConversationStarted, HandoffRequested, UserUttered
    from server.db.conversations import ConversationRepository
    from server.db.events import SqlEventStore

    conversations, store = ConversationRepository(sessions), SqlEventStore(sessions)
    for i in range(n):
        customer = customers[i % len(customers)] if i % 2 == 0 else None
        cid, _ = conversations.create(channel="web", customer_id=customer, language="zh")
        events: list[Any] = [
            ConversationStarted(conversation_id=cid, channel="web", customer_id=customer, language="zh"),
            UserUttered(conversation_id=cid, text=f"第{i}个问题：我的订单到哪了？", language="zh"),
        ]
        if i == n - 1:
            events += [
                AffectObserved(conversation_id=cid, label="anger", score=-0.9, intensity=0.9),
                HandoffRequested(conversation_id=cid, reason="anger"),
            ]
            conversations.set_handoff(cid, "queued")
        store.append_sync(cid, events)


def measure(url: str, sessions: Any, engine: Any, reads: int, limit: int) -> dict[str, Any]:
    """SELECTs of one cold `live()` (a fresh feed) and the wall clock of `reads` warm ones."""
    from sqlalchemy import event

    from server.db.conversations import ConversationRepository
    from server.db.customers import CustomerRepository
    from server.db.events import SqlEventStore
    from server.db.operators import OperatorRepository
    from server.infra.pubsub import InProcessPubSub
    from server.operators.feed import ConsoleFeed

    feed = ConsoleFeed(
        InProcessPubSub(),
        SqlEventStore(sessions),
        ConversationRepository(sessions),
        CustomerRepository(sessions),
        operators=OperatorRepository(sessions),
    )
    selects: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        started = time.perf_counter()
        rows = asyncio.run(feed.live(limit=limit))
        cold_ms = (time.perf_counter() - started) * 1000
    finally:
        event.remove(engine, "before_cursor_execute", count)
    warm = []
    for _ in range(reads):
        started = time.perf_counter()
        asyncio.run(feed.live(limit=limit))
        warm.append((time.perf_counter() - started) * 1000)
    return {
        "rows": len(rows),
        "selects": len(selects),
        "cold_ms": cold_ms,
        "warm_p50_ms": statistics.median(warm) if warm else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--few", type=int, default=5)
    parser.add_argument("--many", type=int, default=200)
    parser.add_argument("--reads", type=int, default=20, help="warm reads timed per size")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    from sqlalchemy import select

    from server.db.engine import make_engine, make_session_factory
    from server.db.models import Customer
    from server.demo.build import build_demo_store

    with tempfile.TemporaryDirectory(prefix="kefu-bench-live-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'kefu.db'}"
        build_demo_store(url, customers=50, orders=200)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        with sessions() as s:
            customers = list(s.scalars(select(Customer.id).order_by(Customer.id).limit(50)))
        _open(sessions, customers, args.few)
        few = measure(url, sessions, engine, args.reads, limit=args.many)
        _open(sessions, customers, args.many - args.few)
        many = measure(url, sessions, engine, args.reads, limit=args.many)
        engine.dispose()
    print(
        f"console live(): {few['rows']} conversations -> {few['selects']} SELECTs (cold {few['cold_ms']:.1f} ms); "
        f"{many['rows']} conversations -> {many['selects']} SELECTs (cold {many['cold_ms']:.1f} ms, "
        f"warm p50 {many['warm_p50_ms']:.1f} ms)"
    )
    flat = many["selects"] == few["selects"] and many["rows"] > few["rows"]
    print(f"target: the same number of SELECTs whatever the number of conversations -> {'met' if flat else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps({"few": few, "many": many}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
