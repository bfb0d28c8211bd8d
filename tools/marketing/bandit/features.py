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

# Context keys crossed with the candidate's own keys; anything else in the context is ignored, except `slot`
# (the position being filled, 1 when absent), a main effect only: it absorbs position bias when a policy
# learns from every slot of a list, and is the same for every candidate competing for one slot.
CONTEXT_KEYS = ("segment", "language", "category", "session")
CANDIDATE_KEYS = ("source", "category", "price_band")
DENSE = 4  # the last slots of a vector: source score, category asked, trending, session affinity


@dataclass(frozen=True, slots=True)
class Candidate:
    """One product the recommender proposes: its id, where it came from and that source's score; what the
    catalogue says of it (category, price band within its category); how much it trends across conversations
    now (`hot`, in [0, 1]) and whether this conversation showed interest in its category (`session`, 0 or 1)."""

    product_id: str
    source: str = ""
    score: float = 0.0
    category: str = ""
    price_band: str = ""
    hot: float = 0.0
    session: float = 0.0

    @classmethod
    def of(cls, value: Candidate | Mapping[str, Any]) -> Candidate:
        if isinstance(value, Candidate):
            return value
        return cls(
            product_id=str(value["product_id"]),
            source=str(value.get("source", "")),
            score=float(value.get("score", 0.0)),
            category=str(value.get("category", "")),
            price_band=str(value.get("price_band", "")),
            hot=float(value.get("hot", 0.0)),
            session=float(value.get("session", 0.0)),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"product_id": self.product_id, "source": self.source, "score": self.score,
                               "category": self.category}
        extra = {"price_band": self.price_band, "hot": self.hot, "session": self.session}
        return {**out, **{k: v for k, v in extra.items() if v}}  # older records read back the same


@dataclass(frozen=True, slots=True)
class Featurizer:
    """Maps (context, candidate) to a `dim`-vector: bias, slot, item id, source, category, price band, the
    crosses of context keys with candidate keys and with the item id; dense: the source score, whether the
    candidate is of the category asked for, how much it trends, and the session's interest in its category."""

    dim: int = DEFAULT_DIM
    context_keys: tuple[str, ...] = CONTEXT_KEYS
    candidate_keys: tuple[str, ...] = CANDIDATE_KEYS
    _cache: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    _last: list[Any] = field(default_factory=list, compare=False, repr=False)
    _hashed: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, compare=False,
                                                                           repr=False)

    def _slot(self, name: str) -> int:
        slot = self._cache.get(name)
        if slot is None:
            digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
            slot = int.from_bytes(digest, "little") % (self.dim - DENSE)  # the last ones are dense features
            if len(self._cache) < 100_000:
                self._cache[name] = slot
        return slot

    def names(self, context: Mapping[str, Any], candidate: Candidate) -> list[str]:
        item = {"source": candidate.source, "category": candidate.category, "price_band": candidate.price_band}
        out = ["bias", f"slot={context.get('slot') or 1}", f"item={candidate.product_id}"]
        out += [f"{k}={item[k]}" for k in self.candidate_keys if item.get(k)]
        for ck in self.context_keys:
            cv = context.get(ck)
            if cv in (None, ""):
                continue
            out.append(f"{ck}={cv}^item={candidate.product_id}")
            out += [f"{ck}={cv}^{k}={item[k]}" for k in self.candidate_keys if item.get(k)]
        return out

    def vector(self, context: Mapping[str, Any], candidate: Candidate) -> np.ndarray:
        """The feature vector. The hashed part is cached per (context, product) — scores change per request,
        names do not — so a vector costs a few microseconds."""
        key = (tuple(context.get(k) for k in self.context_keys), context.get("slot") or 1, candidate.product_id,
               candidate.source, candidate.category, candidate.price_band)
        hashed = self._hashed.get(key)
        if hashed is None:
            names = self.names(context, candidate)
            # weight 1/sqrt(#names) keeps |x| near 1; two names may share a slot, and then add up
            slots, counts = np.unique([self._slot(n) for n in names], return_counts=True)
            hashed = (slots, counts / math.sqrt(len(names)))
            if len(self._hashed) < 20_000:
                self._hashed[key] = hashed
        x = np.zeros(self.dim)
        x[hashed[0]] = hashed[1]
        x[-4] = math.tanh(candidate.score)
        ctx_category = context.get("category")
        x[-3] = 1.0 if ctx_category and ctx_category == candidate.category else 0.0
        x[-2] = min(max(candidate.hot, 0.0), 1.0)
        x[-1] = min(max(candidate.session, 0.0), 1.0)
        return x

    def matrix(self, context: Mapping[str, Any], candidates: Sequence[Candidate]) -> np.ndarray:
        """One row per candidate (the last one is remembered: serving a list asks for it two or three times)."""
        key = (tuple(sorted(context.items(), key=str)), tuple(candidates))
        last = self._last
        if last and last[0] == key:
            return last[1]
        x = np.stack([self.vector(context, c) for c in candidates]) if candidates else np.zeros((0, self.dim))
        x.flags.writeable = False
        self._last[:] = [key, x]
        return x
