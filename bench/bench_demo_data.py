"""Time of a default demo-store build (1,000 customers, 10,000 orders) on SQLite and, if reachable,
PostgreSQL; prints the report of each (generation vs write time, row counts).

    .venv/bin/python bench/bench_demo_data.py [--pg postgresql://postgres@127.0.0.1:5432/test] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import uuid
from datetime import date
from pathlib import Path

from server.demo.build import build_demo_store

AS_OF = date(2026, 11, 20)


def bench_sqlite(runs: int) -> None:
    seconds = []
    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            report = build_demo_store(f"sqlite:///{Path(tmp) / 'kefu.db'}", seed=7, as_of=AS_OF)
        seconds.append(report.seconds)
        print(
            f"sqlite run {run + 1}: {report.seconds:.2f}s (generate {report.generate_seconds:.2f}s, "
            f"write {report.write_seconds:.2f}s)"
        )
    print(f"sqlite median {statistics.median(seconds):.2f}s; {report}")


def bench_postgres(admin_url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    try:
        conn = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        print(f"postgres skipped: {exc}")
        return
    name = f"kefu_bench_{uuid.uuid4().hex[:8]}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        try:
            url = make_url(admin_url).set(drivername="postgresql+psycopg", database=name)
            report = build_demo_store(url.render_as_string(hide_password=False), seed=7, as_of=AS_OF)
            print(
                f"postgres: {report.seconds:.2f}s (generate {report.generate_seconds:.2f}s, "
                f"write {report.write_seconds:.2f}s)"
            )
        finally:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    bench_sqlite(args.runs)
    if args.pg:
        bench_postgres(args.pg)


if __name__ == "__main__":
    main()
