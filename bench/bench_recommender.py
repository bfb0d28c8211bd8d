"""Latency of one recommendation, beside popularity in the same process (the target: p99 ≤ 5 ms).

    .venv/bin/python bench/bench_recommender.py [--customers 1000] [--orders 10000] [--requests 2000]

Builds the demo store in a temporary SQLite file, trains the recommender on it (no tuning: only speed is
measured here), then times `Recommender.recommend` for random customers' histories — with and without a
category asked for, and with in-session interest — and a popularity top-10 with the same exclusions.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from server.evals.recommender import demo_store_rows
from tools.marketing.recommender import TrainConfig, Weights, fit_recommender
from tools.marketing.recommender.data import by_user
from tools.marketing.recommender.metrics import top_k

P99_BUDGET_MS = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    visits, infos = demo_store_rows(customers=args.customers, orders=args.orders)
    model = fit_recommender(
        visits, infos, config=TrainConfig(tune=False),
        weights=Weights(repeat=1.0, cooccurrence=0.3, model=0.1, compatible=0.3),
    )
    rng = random.Random(7)
    histories = [[v.items for v in vs] for vs in by_user(visits).values()]
    categories = sorted({i.category for i in infos})
    cases = [rng.choice(histories) for _ in range(args.requests)]

    def popularity(history: list[tuple[str, ...]]) -> object:
        owned = model.encode([i for b in history for i in b])
        return top_k(model.popularity, 10, owned)

    def timed(fn) -> list[float]:  # type: ignore[no-untyped-def]
        for h in cases[:50]:  # warm-up
            fn(h)
        out = []
        for h in cases:
            t0 = time.perf_counter()
            fn(h)
            out.append((time.perf_counter() - t0) * 1000)
        return out

    rows = {
        "popularity top-10 (baseline)": timed(popularity),
        "recommend (history)": timed(lambda h: model.recommend(h, k=10)),
        "recommend (category asked)": timed(lambda h: model.recommend(h, k=4, category=rng.choice(categories))),
        "recommend (+ session interest)": timed(lambda h: model.recommend(h, k=10, session=[rng.choice(model.items)])),
        "recommend (new customer)": timed(lambda h: model.recommend([], k=10)),
    }
    print(f"recommender: {len(model.items)} items, {len(histories)} customers, {args.requests} requests each")
    worst = 0.0
    for name, ms in rows.items():
        p50, p99 = float(np.percentile(ms, 50)), float(np.percentile(ms, 99))
        if name.startswith("recommend"):
            worst = max(worst, p99)
        print(f"  {name:<32} p50 {p50:6.3f} ms   p99 {p99:6.3f} ms")
    verdict = "ok" if worst <= P99_BUDGET_MS else "OVER BUDGET"
    print(f"  worst recommend p99 {worst:.3f} ms (budget {P99_BUDGET_MS} ms): {verdict}")


if __name__ == "__main__":
    main()
