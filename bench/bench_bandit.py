"""The re-ranking bandit on a simulated shop with known click rates: how fast it converges, how well the
offline estimators recover the truth (coverage of their 95% intervals over many seeds), what `compare`
decides, and what one served list and one update cost.

    .venv/bin/python bench/bench_bandit.py [--seeds 50] [--rounds 3000] [--lists 1000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits
from timing import pct

from tools.marketing.bandit import (
    Candidate,
    Greedy,
    LinearThompson,
    ScoreOrder,
    Uniform,
    bootstrap,
    compare,
    dr,
    ips,
    rank,
    replay,
    snips,
)
from tools.marketing.bandit.simulate import Shop, learn, log

CTR = [[0.05, 0.10, 0.15, 0.08, 0.30], [0.30, 0.10, 0.15, 0.08, 0.05]]


def convergence(shop: Shop, seeds: int, rounds: int) -> LinearThompson:
    uniform_regret = float(np.mean([max(r) - np.mean(r) for r in CTR]))
    window = rounds // 5
    print(f"\nConvergence ({rounds} lists, {seeds} seeds): share of lists with the segment's best product first")
    shares, ratios, halves = [], [], []
    policy = LinearThompson()
    for seed in range(seeds):
        policy = LinearThompson(seed=seed)
        run = learn(shop, policy, rounds, seed=seed)
        shares.append([run.best_share[i * window:(i + 1) * window].mean() for i in range(5)])
        ratios.append(run.regret.sum() / (uniform_regret * rounds))
        halves.append(run.regret[rounds // 2:].sum() / max(run.regret[: rounds // 2].sum(), 1e-9))
    mean = np.mean(shares, axis=0)
    print("  by fifth:          " + "  ".join(f"{m:.3f}" for m in mean))
    print(f"  last fifth min:    {np.min(np.array(shares)[:, -1]):.3f}")
    print(f"  regret / uniform:  {np.mean(ratios):.3f} (max {np.max(ratios):.3f})")
    print(f"  regret 2nd half / 1st half: {np.mean(halves):.3f}")
    print(f"  true click rate: score order {shop.true_value(ScoreOrder()):.3f}, bandit exploring "
          f"{shop.true_value(policy):.3f}, bandit greedy {shop.true_value(Greedy(policy)):.3f}, best 0.300")
    return policy


def coverage(shop: Shop, seeds: int, lists: int) -> None:
    target = ScoreOrder()
    truth = shop.true_value(target)
    print(f"\nOffline estimate of the score order (truth {truth:.3f}) from uniform logs, {lists} lists x {seeds} seeds")
    print(f"  {'method':<18} {'covered':>8} {'mean |err|':>11} {'mean width':>11}")
    rows: dict[str, list[tuple[bool, float, float]]] = {}
    for seed in range(seeds):
        logs = log(shop, Uniform(), lists, seed=seed)
        for name, fn in (("ips", ips), ("snips", snips), ("dr", dr), ("replay", replay),
                         ("snips_bootstrap", lambda t, lg: bootstrap(t, lg, rounds=500))):
            est = fn(target, logs)
            rows.setdefault(name, []).append((est.covers(truth), abs(est.value - truth), est.high - est.low))
    for name, vals in rows.items():
        cov, err, width = np.array(vals).T
        print(f"  {name:<18} {cov.mean():>8.2f} {err.mean():>11.4f} {width.mean():>11.4f}")


def verdicts(shop: Shop, trained: LinearThompson) -> None:
    logs = log(shop, ScoreOrder(epsilon=0.2), 3000, seed=99)
    print("\ncompare() on 3000 lists logged by the score order with 20% exploration")
    for candidate in (Greedy(trained), trained, ScoreOrder(name="same_order")):
        for method in ("dr", "snips", "ips"):
            v = compare(ScoreOrder(), candidate, logs, method=method)
            print(f"  {candidate.name:<24} {method:<6} {v.decision:<13} lift {v.lift:+.3f} "
                  f"[{v.lift_low:+.3f}, {v.lift_high:+.3f}] truth {shop.true_value(candidate) - 0.175:+.3f}")


def latency(trained: LinearThompson, k: int = 20, n: int = 2000) -> None:
    rng = np.random.default_rng(0)
    cands = [Candidate(f"P{i:03d}", source=("model", "co_occurrence", "popular")[i % 3], score=float(rng.random()),
                       category=f"cat{i % 4}") for i in range(200)]
    serve, update = [], []
    for _ in range(n):
        ctx = {"segment": ("new", "loyal")[int(rng.integers(2))], "language": "zh", "category": "cat1"}
        pick = [cands[i] for i in rng.choice(len(cands), k, replace=False)]
        t0 = time.perf_counter()
        served = rank(trained, ctx, pick, rng)
        t1 = time.perf_counter()
        trained.learn(served, float(rng.random() < 0.1))
        t2 = time.perf_counter()
        serve.append((t1 - t0) * 1000)
        update.append((t2 - t1) * 1000)
    print(f"\nLatency, {k} candidates, dim {trained.featurizer.dim}, {trained.samples} draws (ms)")
    print(f"  rank:   p50 {pct(serve, 0.5):.3f}  p99 {pct(serve, 0.99):.3f}")
    print(f"  update: p50 {pct(update, 0.5):.3f}  p99 {pct(update, 0.99):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3000)
    parser.add_argument("--lists", type=int, default=1000)
    args = parser.parse_args()
    shop = Shop.make(CTR, ["new", "loyal"])
    with threadpool_limits(limits=1, user_api="blas"):
        trained = convergence(shop, max(1, args.seeds // 5), args.rounds)
        coverage(shop, args.seeds, args.lists)
        verdicts(shop, trained)
        latency(trained)


if __name__ == "__main__":
    main()
