from __future__ import annotations

import numpy as np
import pytest

from knowledge.fusion import RRF_K, max_rrf, rank, rrf, select_passages

pytestmark = pytest.mark.unit


def test_rank_orders_candidates_and_drops_non_hits() -> None:
    scores = np.array([0.1, 0.0, 0.7, 0.3], dtype=np.float32)
    assert rank(scores, np.arange(4)).tolist() == [2, 3, 0, 1]
    assert rank(scores, np.arange(4), positive_only=True).tolist() == [2, 3, 0]
    assert rank(scores, np.array([0, 1])).tolist() == [0, 1]


def test_rrf_rewards_agreement() -> None:
    fused = dict(rrf([np.array([1, 2, 3]), np.array([2, 3])]))
    assert fused[2] == pytest.approx(1 / (RRF_K + 2) + 1 / (RRF_K + 1))
    assert max(fused, key=fused.__getitem__) == 2
    assert fused[2] <= max_rrf(2)


def test_distinct_docs_first_then_fill() -> None:
    docs = ["a", "a", "b", "a", "c"]
    plain = [False] * 5
    ordered = [(0, 0.9), (1, 0.8), (2, 0.7), (3, 0.6), (4, 0.5)]
    assert [i for i, _ in select_passages(ordered, docs, plain, 3)] == [0, 2, 4]
    assert [i for i, _ in select_passages(ordered, docs, plain, 4)] == [0, 2, 4, 1]
    assert select_passages(ordered, docs, plain, 0) == []


def test_intro_routes_but_its_best_content_chunk_is_cited() -> None:
    docs = ["a", "b", "a", "a", "b"]
    intro = [True, False, False, False, True]
    ordered = [(0, 0.9), (1, 0.8), (3, 0.7), (2, 0.6), (4, 0.5)]
    assert select_passages(ordered, docs, intro, 2) == [(3, 0.9), (1, 0.8)]
    # intros are never fill-ins
    assert [i for i, _ in select_passages(ordered, docs, intro, 5)] == [3, 1, 2]
