"""Top-k ranking metrics for one customer: hit rate and NDCG against the held-out items."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np


def hit_at_k(ranked: Sequence[str], relevant: Collection[str], k: int = 10) -> float:
    """1 if any of the first k is relevant (HR@k over customers is the mean of this)."""
    return float(any(item in relevant for item in ranked[:k]))


def ndcg_at_k(ranked: Sequence[str], relevant: Collection[str], k: int = 10) -> float:
    """Binary-relevance NDCG@k: the ideal list puts min(k, |relevant|) relevant items first."""
    if not relevant:
        return 0.0
    gains = [1.0 / np.log2(r + 2) for r, item in enumerate(ranked[:k]) if item in relevant]
    ideal = sum(1.0 / np.log2(r + 2) for r in range(min(k, len(relevant))))
    return float(sum(gains) / ideal)


def top_k(scores: np.ndarray, k: int, exclude: np.ndarray | None = None) -> np.ndarray:
    """Indexes of the k best scores, best first (ties: lower index first), skipping `exclude`."""
    s = scores.astype(np.float64, copy=True)
    if exclude is not None and len(exclude):
        s[exclude] = -np.inf
    k = min(k, len(s))
    part = np.argpartition(-s, k - 1)[:k] if k < len(s) else np.arange(len(s))
    order = part[np.lexsort((part, -s[part]))]
    return order[np.isfinite(s[order])]
