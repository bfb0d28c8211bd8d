"""What keeps retrieval fast on a large corpus: BM25 as a sparse matrix (the same scores as rank_bm25), an IVF index
above the exact-search size, and rankings cut to the depth fusion still tells apart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

import knowledge.index as index_module
from knowledge.bm25 import SparseBM25
from knowledge.chunking import Chunk
from knowledge.fusion import rank
from knowledge.index import HybridIndex, Manifest

pytestmark = pytest.mark.unit

CORPUS = [["退货", "运费", "退货"], ["发票", "电子"], ["return", "shipping", "fee"], ["\x00"], ["退货"] * 5,
          ["warranty", "return"], ["发票", "退货", "七天", "无理由"]]


@pytest.mark.parametrize("query", [["退货"], ["退货", "退货", "运费"], ["return", "warranty"], ["未知"], []])
def test_sparse_bm25_scores_are_rank_bm25s(query: list[str]) -> None:
    assert np.array_equal(SparseBM25(CORPUS).get_scores(query), BM25Okapi(CORPUS).get_scores(query))


def test_a_ranking_cut_to_a_depth_is_the_head_of_the_whole_one() -> None:
    scores = np.random.default_rng(3).integers(0, 50, 400).astype(np.float32)  # many ties
    candidates = np.arange(400)
    assert rank(scores, candidates, positive_only=True, depth=30).tolist() == \
        rank(scores, candidates, positive_only=True)[:30].tolist()


def test_a_corpus_above_the_exact_size_is_searched_by_an_ivf_index_that_finds_the_nearest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_module, "EXACT_MAX", 500)
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(3000, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunks = [Chunk(doc=f"d{i}", title="t", language="en", text=f"c{i}", section="") for i in range(3000)]
    built = HybridIndex.from_vectors(chunks, vectors, [[f"w{i % 97}"] for i in range(3000)])
    built.save(tmp_path, Manifest("x", "x", 16, "t", {}, {}, 3000))
    loaded, _ = HybridIndex.load(tmp_path)

    assert hasattr(loaded.vectors, "nprobe") and loaded.vectors.nprobe == index_module.IVF_PROBES
    hits = [int(np.argmax(loaded.dense_scores(vectors[i]))) for i in range(0, 3000, 150)]
    assert hits == list(range(0, 3000, 150))
