"""Rule mining speed: the local engine (compiled FP-growth) against mlxtend's `fpgrowth`, and the Spark engine.

    .venv/bin/python bench/bench_rules.py [--scale 20] [--sample resample|repeat] [--min-support 0.005]
                                          [--rounds 5] [--no-spark]

The data is Groceries (9,835 baskets) made `--scale` times bigger: `resample` (default) draws that many baskets
with replacement (seed 0), so supports move a little as real data would; `repeat` repeats every basket, which
keeps the supports exact. Both miners run in this process on the same baskets at the same support, in turns
(local, then mlxtend, each round), each after a full garbage collection (neither pays for the other's garbage),
with one BLAS thread. Each figure is the median of `--rounds`, wall-clock (min–max beside it), and the ratios
are given on CPU time too: on a shared machine waiting for a core inflates wall-clock times, CPU time much less.
What is timed:

- headline, from the same list of baskets, each side's input conversion included: the local engine
  (`mine_local`: identical baskets weighed, pyfim, itemsets and one-consequent rules) against mlxtend's
  `TransactionEncoder` one-hot DataFrame + `fpgrowth` (itemsets only: its rules are not counted against it).
  The target is local ≥ 20× faster;
- the same with mlxtend's `association_rules` too (kept to one consequent, as ours): the same output on both sides;
- the miners alone, conversion counted on neither side: pyfim on the weighed baskets against `fpgrowth` on the
  one-hot DataFrame;
- from the baskets file (`kefu rules mine --baskets`): read + weigh + mine + rules, against read + parse + one-hot
  + `fpgrowth`.

The Spark engine (KEFU_SPARK_MASTER, default local[2]) reads the same baskets from a file: its session start, a
first (cold) and a second (warm) mining run. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy: every miner here is one thread

from server.settings import get_settings
from tools.marketing.rules import min_count_for, mine_local, read_baskets, read_weighted_baskets
from tools.marketing.rules.local import frequent_counts, weigh

MIN_CONFIDENCE = 0.1


def scaled(baskets: list[list[str]], scale: int, sample: str) -> list[list[str]]:
    if sample == "repeat":
        return [b for _ in range(scale) for b in baskets]
    return random.Random(0).choices(baskets, k=scale * len(baskets))


class Times:
    """Wall-clock and CPU seconds of each timed run of one thing."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __add__(self, other: Times) -> Times:
        out = Times()
        out.wall = [a + b for a, b in zip(self.wall, other.wall, strict=True)]
        out.cpu = [a + b for a, b in zip(self.cpu, other.cpu, strict=True)]
        return out

    def __str__(self) -> str:
        w = self.wall
        return f"{statistics.median(w) * 1000:.0f} ms ({min(w) * 1000:.0f}–{max(w) * 1000:.0f})"


def timed(fn: Callable[[], Any], into: Times) -> Any:
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    into.cpu.append(time.process_time() - c0)
    into.wall.append(time.perf_counter() - w0)
    return out


def ratio(theirs: Times, ours: Times) -> str:
    wall = statistics.median(theirs.wall) / statistics.median(ours.wall)
    cpu = statistics.median(theirs.cpu) / statistics.median(ours.cpu)
    return f"{wall:.1f}× (CPU time {cpu:.1f}×)"


def one_hot(baskets: list[list[str]]) -> Any:
    """mlxtend's input: a one-hot DataFrame (what its documentation does)."""
    import pandas as pd
    from mlxtend.preprocessing import TransactionEncoder

    encoder = TransactionEncoder()
    return pd.DataFrame(encoder.fit(baskets).transform(baskets), columns=encoder.columns_)


def one_consequent_rules(itemsets: Any) -> Any:
    """mlxtend's rules at our confidence (its threshold eased by 1e-9, see test_rules_groceries), one consequent."""
    from mlxtend.frequent_patterns import association_rules

    table = association_rules(itemsets, metric="confidence", min_threshold=MIN_CONFIDENCE - 1e-9)
    return table[table.consequents.map(len) == 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--sample", choices=("resample", "repeat"), default="resample")
    parser.add_argument("--min-support", type=float, default=0.005)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of each miner (median)")
    parser.add_argument("--no-spark", action="store_true", help="skip the Spark engine")
    args = parser.parse_args()

    import fim
    from mlxtend.frequent_patterns import fpgrowth

    settings = get_settings()
    source = settings.training.data_dir / "groceries_basket" / "groceries.csv"
    baskets = scaled(read_baskets(source), args.scale, args.sample)
    n = len(baskets)
    min_count = min_count_for(args.min_support, n)
    print(f"groceries ×{args.scale} ({args.sample}): {n} baskets, min support {args.min_support} "
          f"({min_count} baskets), min confidence {MIN_CONFIDENCE}; median of {args.rounds} rounds (min–max)")
    tmp = tempfile.TemporaryDirectory(prefix="kefu-bench-rules-")
    path = Path(tmp.name) / "baskets.csv"
    path.write_text("\n".join(",".join(b) for b in baskets) + "\n", encoding="utf-8")
    weighted = weigh(baskets)

    t: dict[str, Times] = {k: Times() for k in (
        "local", "local core", "local file", "weigh", "unweighed",
        "encode", "fpgrowth", "rules", "read",
    )}
    for _ in range(args.rounds):
        result = timed(lambda: mine_local(baskets, min_support=args.min_support, min_confidence=MIN_CONFIDENCE),
                       t["local"])
        counts = timed(lambda: frequent_counts(weighted, min_count), t["local core"])
        timed(lambda: mine_local(read_weighted_baskets(path), min_support=args.min_support,
                                 min_confidence=MIN_CONFIDENCE), t["local file"])
        timed(lambda: weigh(baskets), t["weigh"])
        timed(lambda: fim.fpgrowth(baskets, target="s", supp=-min_count, report="a"), t["unweighed"])

        onehot = timed(partial(one_hot, baskets), t["encode"])
        reference = timed(partial(fpgrowth, onehot, min_support=args.min_support, use_colnames=True), t["fpgrowth"])
        rules_table = timed(partial(one_consequent_rules, reference), t["rules"])
        timed(lambda: read_baskets(path), t["read"])

    same = {frozenset(s) for s in reference.itemsets} == set(counts)
    mlx = t["encode"] + t["fpgrowth"]
    wall = statistics.median(mlx.wall) / statistics.median(t["local"].wall)
    cpu = statistics.median(mlx.cpu) / statistics.median(t["local"].cpu)
    verdict = "met" if wall >= 20 else "met in CPU time only: a busy machine?" if cpu >= 20 else "NOT met"
    print(f"local engine, from the basket list (weigh + pyfim + itemsets + rules): {t['local']}; "
          f"{len(result.itemsets)} itemsets, {len(result.rules)} rules")
    print(f"  of which weighing the {n} baskets into {len(weighted)} distinct: {t['weigh']}")
    print(f"mlxtend, from the basket list (one-hot {t['encode']} + fpgrowth {t['fpgrowth']}): {mlx}; "
          f"{len(reference)} itemsets; same itemsets: {same}")
    print(f"→ local is {wall:.1f}× faster, {cpu:.1f}× in CPU time (each side's conversion timed, mlxtend's rules "
          f"not; target ≥ 20×: {verdict})")
    print(f"with rules on both sides (mlxtend association_rules {t['rules']}, {len(rules_table)} one-consequent "
          f"rules, ours {len(result.rules)}): {ratio(mlx + t['rules'], t['local'])}")
    print(f"miners alone, no conversion timed (pyfim on the weighed baskets {t['local core']}, fpgrowth on "
          f"the one-hot frame): {ratio(t['fpgrowth'], t['local core'])}; pyfim given all {n} baskets "
          f"unweighed {t['unweighed']}: {ratio(t['fpgrowth'], t['unweighed'])}")
    print(f"from the file: `kefu rules mine` (read, weigh, itemsets, rules) {t['local file']} against read + "
          f"one-hot + fpgrowth {t['read'] + mlx}: {ratio(t['read'] + mlx, t['local file'])}")

    if not args.no_spark:
        from tools.marketing.rules.spark import mine_spark, read_baskets_frame
        from tools.marketing.spark_session import spark_session

        t0 = time.perf_counter()
        spark = spark_session(settings.spark.master, app_name="kefu-bench",
                              shuffle_partitions=settings.spark.shuffle_partitions,
                              local_java_options=settings.spark.local_java_options)
        start_s = time.perf_counter() - t0
        runs = []
        for _ in range(2):
            mined = mine_spark(spark, read_baskets_frame(spark, path), min_support=args.min_support,
                               min_confidence=MIN_CONFIDENCE)
            runs.append(mined.seconds)
        spark.stop()
        same = {frozenset(s.items) for s in mined.itemsets} == set(counts)
        print(f"spark ({settings.spark.master}): session {start_s:.1f} s; {len(mined.itemsets)} itemsets and "
              f"{len(mined.rules)} rules in {runs[0]:.1f} s cold, {runs[1]:.1f} s warm; same itemsets: {same}")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
