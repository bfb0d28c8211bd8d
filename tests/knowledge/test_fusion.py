from __future__ import annotations

import numpy as np
import pytest

from knowledge.fusion import RRF_K, distinct_docs, max_rrf, rank, rank_hits, rrf, rrf_loop, select_passages

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


def test_rrf_is_the_loop_bit_for_bit_ties_included() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(1, 60))
        dense = rng.permutation(n)[: int(rng.integers(0, n + 1))]
        sparse = rng.permutation(n)[: int(rng.integers(0, n + 1))]
        # (mirror images: an item first in one list and second in the other ties with its neighbour)
        assert rrf([dense, sparse]) == rrf_loop([dense, sparse])
        assert rrf([dense]) == rrf_loop([dense])
    assert rrf([np.array([0, 1]), np.array([1, 0])]) == rrf_loop([np.array([0, 1]), np.array([1, 0])])
    assert [i for i, _ in rrf([np.array([0, 1]), np.array([1, 0])])] == [0, 1]  # the dense order breaks the tie
    assert rrf([np.array([], dtype=np.int64), np.array([], dtype=np.int64)]) == []


def test_the_other_language_is_needed_only_below_k_documents() -> None:
    docs = ["a", "a", "b", "c"]
    assert distinct_docs([(0, 0.9), (1, 0.8), (2, 0.7)], docs, 2)
    assert not distinct_docs([(0, 0.9), (1, 0.8), (2, 0.7)], docs, 3)
    assert distinct_docs([(0, 0.9), (2, 0.8), (3, 0.7)], docs, 3)


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


@pytest.mark.parametrize("positive_only", [False, True])
@pytest.mark.parametrize("depth", [None, 5, 40])
def test_ranking_from_the_hits_is_the_ranking_of_every_score(positive_only: bool, depth: int | None) -> None:
    rng = np.random.default_rng(7)
    scores = np.full(300, -np.inf if not positive_only else 0.0, dtype=np.float32)
    ids = rng.choice(300, 120, replace=False)
    scores[ids] = rng.integers(-3, 12, 120).astype(np.float32)  # many ties, some not positive
    members = rng.random(300) < 0.6
    expected = rank(scores, np.flatnonzero(members), positive_only=positive_only, depth=depth)
    assert rank_hits(ids, scores[ids], members, positive_only=positive_only, depth=depth).tolist() == expected.tolist()
