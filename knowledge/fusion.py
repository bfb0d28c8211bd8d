"""Reciprocal rank fusion and per-document de-duplication: pure functions over chunk indices.

RRF needs no score calibration between cosine similarity and BM25, which live on unrelated scales.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RRF_K = 60


def rank(
    scores: np.ndarray, candidates: np.ndarray, *, positive_only: bool = False, depth: int | None = None
) -> np.ndarray:
    """`candidates` ordered by descending score (ties in candidate order); with `positive_only`, chunks scoring <= 0
    are no hit. With `depth`, only the best `depth` of them (what reciprocal rank fusion still tells apart: the
    101st place adds 1/161, the 1001st 1/1061)."""
    values = scores[candidates]
    keep = values > 0 if positive_only else np.isfinite(values)
    candidates, values = candidates[keep], values[keep]
    if depth is not None and len(values) > depth:
        last = -np.partition(-values, depth - 1)[depth - 1]  # the score at place `depth`: ties go in order
        above = np.flatnonzero(values > last)
        best = np.sort(np.concatenate([above, np.flatnonzero(values == last)[: depth - len(above)]]))
        candidates, values = candidates[best], values[best]
    return candidates[np.argsort(-values, kind="stable")]


def rank_hits(
    ids: np.ndarray,
    scores: np.ndarray,
    members: np.ndarray | None = None,
    *,
    positive_only: bool = False,
    depth: int | None = None,
) -> np.ndarray:
    """`rank` when only the chunks `ids` score (`scores`) and every other chunk is no hit: the same ranking of the
    chunks `members` marks (a boolean per chunk; None: all), from the few hits instead of a score for every chunk."""
    if members is not None:
        keep = members[ids]
        ids, scores = ids[keep], scores[keep]
    keep = scores > 0 if positive_only else np.isfinite(scores)
    ids, scores = ids[keep], scores[keep]
    if depth is not None and len(scores) > depth:
        last = -np.partition(-scores, depth - 1)[depth - 1]  # the score at place `depth`: ties go by chunk index
        above = np.flatnonzero(scores > last)
        tied = np.flatnonzero(scores == last)
        best = np.concatenate([above, tied[np.argsort(ids[tied], kind="stable")][: depth - len(above)]])
        ids, scores = ids[best], scores[best]
    return ids[np.lexsort((ids, -scores))]


def rrf(rankings: Sequence[np.ndarray], k: int = RRF_K) -> list[tuple[int, float]]:
    """Fuse rankings: each list adds 1 / (k + rank) to an item, rank counted from 1 (each ranking names an item once).

    Ties (common: first in one list and second in the other) go to the first ranking's order, the
    dense one when present, which alone ranks the right document first more often than BM25; then to the lower index.
    In numpy (a dict loop over two rankings of 1,000 was most of a search's own time); the sums are made in the same
    order as the loop's, so the scores and the order are those of `rrf_loop`, bit for bit.
    """
    parts = [np.asarray(r, dtype=np.int64) for r in rankings]
    if not any(len(p) for p in parts):
        return []
    ids = np.sort(np.concatenate(parts))
    ids = ids[np.concatenate(([True], ids[1:] != ids[:-1]))]  # np.unique's result, without its hash table (~4x slower)
    fused = np.zeros(len(ids), dtype=np.float64)
    first = np.full(len(ids), len(parts[0]) + 1, dtype=np.int64)  # not in the first ranking: after all of it
    for n, part in enumerate(parts):
        at = np.searchsorted(ids, part)
        positions = np.arange(1, len(part) + 1, dtype=np.int64)
        fused[at] += 1.0 / (k + positions)
        if n == 0:
            first[at] = positions
    order = np.lexsort((ids, first, -fused))
    return list(zip(ids[order].tolist(), fused[order].tolist(), strict=True))


def rrf_loop(rankings: Sequence[np.ndarray], k: int = RRF_K) -> list[tuple[int, float]]:
    """`rrf` as a plain loop: the definition the numpy version is tested against."""
    fused: dict[int, float] = {}
    first: dict[int, int] = {}
    for n, ranking in enumerate(rankings):
        for position, idx in enumerate(np.asarray(ranking).tolist(), start=1):
            fused[idx] = fused.get(idx, 0.0) + 1.0 / (k + position)
            if n == 0:
                first[idx] = position
    return sorted(fused.items(), key=lambda item: (-item[1], first.get(item[0], len(first) + 1), item[0]))


def distinct_docs(ordered: Sequence[tuple[int, float]], docs: Sequence[str], k: int) -> bool:
    """Do `ordered`'s chunks come from at least `k` documents? Then `select_passages` takes all `k` from them."""
    seen: set[str] = set()
    for idx, _ in ordered:
        seen.add(docs[idx])
        if len(seen) >= k:
            return True
    return False


def max_rrf(n_rankings: int, k: int = RRF_K) -> float:
    """The score of an item ranked first everywhere; used to scale fused scores into (0, 1]."""
    return n_rankings / (k + 1)


def select_passages(
    ordered: Sequence[tuple[int, float]], docs: Sequence[str], routing_only: Sequence[bool], k: int
) -> list[tuple[int, float]]:
    """Top `k` with one chunk per document while there are enough documents, then the next-best chunks.

    The agent cites and summarises what it gets; three chunks of one policy crowd out the second policy
    a question often touches (a return that is also a warranty case). A `routing_only` chunk (a
    document's intro, "this page explains ...") may rank its document but is not what gets cited: the
    document's best-ranked content chunk takes its place, keeping the intro's rank and score.
    """
    picked: list[tuple[int, float]] = []
    used: set[int] = set()
    seen_docs: set[str] = set()
    for position, (idx, score) in enumerate(ordered):
        if len(picked) == k:
            return picked
        doc = docs[idx]
        if doc in seen_docs:
            continue
        seen_docs.add(doc)
        if routing_only[idx]:
            idx = next(
                (j for j, _ in ordered[position + 1 :] if docs[j] == doc and not routing_only[j]),
                idx,
            )
        picked.append((idx, score))
        used.add(idx)
    for idx, score in ordered:
        if len(picked) == k:
            break
        if idx not in used and not routing_only[idx]:
            picked.append((idx, score))
            used.add(idx)
    return picked
