"""Feature vectors for (context, candidate) pairs: hashed one-hots and their crosses, like Vowpal Wabbit's
`-q` interactions, into a fixed small dimension so the linear policy's state has a fixed shape.

Hashing is stable across processes and machines (blake2b, not Python's salted `hash`), so a state saved by
one worker means the same thing in another. Must not look anything up: the caller passes plain values.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DEFAULT_DIM = 256

# Context keys crossed with the candidate's own keys; anything else in the context is ignored.
CONTEXT_KEYS = ("segment", "language", "category")
CANDIDATE_KEYS = ("source", "category")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One product the recommender proposes: its id, where it came from and that source's score."""

    product_id: str
    source: str = ""
    score: float = 0.0
    category: str = ""

    @classmethod
    def of(cls, value: Candidate | Mapping[str, Any]) -> Candidate:
        if isinstance(value, Candidate):
            return value
        return cls(
            product_id=str(value["product_id"]),
            source=str(value.get("source", "")),
            score=float(value.get("score", 0.0)),
            category=str(value.get("category", "")),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"product_id": self.product_id, "source": self.source, "score": self.score, "category": self.category}


@dataclass(frozen=True, slots=True)
class Featurizer:
    """Maps (context, candidate) to a `dim`-vector: bias, item id, source, category, the crosses of context
    keys with candidate keys and with the item id, the source score and whether categories match."""

    dim: int = DEFAULT_DIM
    context_keys: tuple[str, ...] = CONTEXT_KEYS
    candidate_keys: tuple[str, ...] = CANDIDATE_KEYS
    _cache: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    _vectors: dict[tuple[Any, ...], np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def _slot(self, name: str) -> int:
        slot = self._cache.get(name)
        if slot is None:
            digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
            slot = int.from_bytes(digest, "little") % (self.dim - 2)  # the last two are dense features
            if len(self._cache) < 100_000:
                self._cache[name] = slot
        return slot

    def names(self, context: Mapping[str, Any], candidate: Candidate) -> list[str]:
        item = {"source": candidate.source, "category": candidate.category}
        out = ["bias", f"item={candidate.product_id}"]
        out += [f"{k}={item[k]}" for k in self.candidate_keys if item.get(k)]
        for ck in self.context_keys:
            cv = context.get(ck)
            if cv in (None, ""):
                continue
            out.append(f"{ck}={cv}^item={candidate.product_id}")
            out += [f"{ck}={cv}^{k}={item[k]}" for k in self.candidate_keys if item.get(k)]
        return out

    def vector(self, context: Mapping[str, Any], candidate: Candidate) -> np.ndarray:
        """The feature vector (read-only: it may be shared by later calls with the same inputs)."""
        key = (tuple(context.get(k) for k in self.context_keys), candidate)
        x = self._vectors.get(key)
        if x is None:
            x = self._build(context, candidate)
            x.flags.writeable = False
            if len(self._vectors) < 50_000:
                self._vectors[key] = x
        return x

    def _build(self, context: Mapping[str, Any], candidate: Candidate) -> np.ndarray:
        x = np.zeros(self.dim)
        names = self.names(context, candidate)
        weight = 1.0 / math.sqrt(len(names))  # keeps |x| near 1 whatever the number of active features
        for name in names:
            x[self._slot(name)] += weight
        x[-2] = math.tanh(candidate.score)
        ctx_category = context.get("category")
        x[-1] = 1.0 if ctx_category and ctx_category == candidate.category else 0.0
        return x

    def matrix(self, context: Mapping[str, Any], candidates: Sequence[Candidate]) -> np.ndarray:
        """One row per candidate."""
        return np.stack([self.vector(context, c) for c in candidates]) if candidates else np.zeros((0, self.dim))
