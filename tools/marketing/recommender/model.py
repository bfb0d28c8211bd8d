"""The shipped recommender: blended candidate signals, the catalogue's fit, and the store's rules.

`Recommender.recommend(history, ...)` returns `Candidate`s (item, score, source) ready to show and to
record in a `RecommendationShown` event. Signals are scaled to [0, 1] per request and blended with
weights tuned on a validation split at training time (`train.fit_recommender`); a candidate's `source`
is the signal that contributed most to its score.

Business rules, in order: in stock; not what the customer owns when it is not bought again (a phone,
not milk: decided per item from the data, see `Repeat`); incompatible accessories dropped and fitting ones
lifted (`catalogue`); at most `max_per_category` per category unless a category was asked for; a customer
with no history gets popular-and-safe items (bought by many, and needing no particular device).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from tools.marketing.recommender.catalogue import Compatibility, ItemInfo
from tools.marketing.recommender.metrics import top_k
from tools.marketing.recommender.signals import TrendPopularity

FORMAT_VERSION = 1
SOURCES = ("popular", "repeat", "co-occurrence", "model", "compatible")


@dataclass(frozen=True, slots=True)
class Candidate:
    item: str
    score: float
    source: str  # one of SOURCES


@dataclass(frozen=True, slots=True)
class BusinessRules:
    in_stock: bool = True
    skip_owned: bool = True  # owned items bought again far less often than anyone buys them (durables)
    durable_ratio: float = 0.5
    max_per_category: int | None = 3
    safe_min_buyers: int = 5  # popular-and-safe for a customer with no history
    safe_needs_nothing: bool = True  # ... and needing no particular device (relaxed when a category has none)


@dataclass(slots=True)
class Weights:
    popular: float = 1.0
    repeat: float = 0.0
    cooccurrence: float = 0.0
    model: float = 0.0
    compatible: float = 0.0

    def by_source(self) -> dict[str, float]:
        return dict(zip(SOURCES, (self.popular, self.repeat, self.cooccurrence, self.model, self.compatible),
                        strict=True))


def day_number(at: Any) -> int | None:
    """A visit time as a day number (date.toordinal); None when it is not a date or a time."""
    if isinstance(at, datetime):
        return at.date().toordinal()
    if isinstance(at, date):
        return at.toordinal()
    if isinstance(at, str):
        try:
            return datetime.fromisoformat(at).date().toordinal()
        except ValueError:
            return None
    return None


@dataclass(slots=True)
class Recommender:
    """A fitted recommender over an item vocabulary (arrays indexed like `items`)."""

    items: list[str]
    popularity: np.ndarray  # trend popularity as of training end, probabilities
    buyers: np.ndarray  # distinct customers per item
    propensity: np.ndarray  # P(bought again in the next visit | bought)
    similarity: sparse.csr_matrix  # item × item co-occurrence
    item_factors: np.ndarray  # ALS; a customer's vector is folded in per request
    als_regularization: float
    als_alpha: float
    weights: Weights
    decay: float = 0.7
    infos: list[ItemInfo] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    trend: TrendPopularity | None = None  # per-day popularity, kept in memory for evaluation (not saved)
    _index: dict[str, int] = field(default_factory=dict, repr=False)
    _gram: np.ndarray | None = field(default=None, repr=False)
    _compat: Compatibility | None = field(default=None, repr=False)
    _categories: np.ndarray | None = field(default=None, repr=False)
    _stock: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._index = {item: i for i, item in enumerate(self.items)}
        y = self.item_factors.astype(np.float64)
        self._gram = y.T @ y
        if self.infos:
            self._compat = Compatibility(self.infos)
            self._categories = np.array([i.category for i in self.infos], dtype=object)
            self._stock = np.array([1 if i.stock is None else i.stock for i in self.infos], dtype=np.int64)

    # --- signals ------------------------------------------------------------------------------------

    def encode(self, items: Sequence[str]) -> np.ndarray:
        return np.fromiter((self._index[i] for i in items if i in self._index), dtype=np.int32)

    def signals(self, history: Sequence[np.ndarray], popularity: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Each source's raw score vector for an encoded history (baskets oldest first)."""
        n = len(self.items)
        pop = self.popularity if popularity is None else popularity
        out = {"popular": np.asarray(pop, dtype=np.float64)}
        baskets = [b for b in history if len(b)]
        if not baskets:
            return out
        w = self.decay ** np.arange(len(baskets) - 1, -1, -1, dtype=np.float64)
        freq = np.zeros(n)
        for weight, b in zip(w, baskets, strict=True):
            freq[b] += weight
        co = self.similarity @ freq  # (symmetric) one sparse product for the whole history
        freq /= w.sum()
        out["repeat"] = np.where(freq > 0, self.propensity * (0.5 + 0.5 * freq), 0.0)
        out["co-occurrence"] = co
        out["model"] = self._als(baskets)
        if self._compat is not None:
            fits, clashes = self._compat.fit(np.unique(np.concatenate(baskets)).tolist())
            out["compatible"] = fits.astype(np.float64)
            out["_clashes"] = clashes
        return out

    def _als(self, baskets: Sequence[np.ndarray]) -> np.ndarray:
        n, f = self.item_factors.shape
        if f == 0:
            return np.zeros(n)
        counts = np.bincount(np.concatenate(baskets), minlength=n)
        owned = np.flatnonzero(counts)
        y = self.item_factors[owned].astype(np.float64)
        c = self.als_alpha * counts[owned]
        a = self._gram + self.als_regularization * np.eye(f) + (y.T * (c - 1.0)) @ y
        return np.maximum(self.item_factors @ np.linalg.solve(a, y.T @ c), 0.0)

    def blend(self, signals: Mapping[str, np.ndarray], weights: Weights | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(score, source index) per item: the weighted sum of max-scaled signals, and the largest part."""
        w = (weights or self.weights).by_source()
        parts = np.zeros((len(SOURCES), len(self.items)))
        for s, name in enumerate(SOURCES):
            x = signals.get(name)
            if x is None or w[name] == 0:
                continue
            top = float(np.max(x))
            if top > 0:
                parts[s] = w[name] * x / top
        return parts.sum(axis=0), parts.argmax(axis=0)

    # --- the list --------------------------------------------------------------------------------------

    def recommend(
        self,
        history: Sequence[Sequence[str]],
        *,
        k: int = 10,
        category: str | None = None,
        session: Sequence[str] = (),
        stock: Mapping[str, int] | None = None,
        now: Any = None,
        rules: BusinessRules | None = None,
        popularity: np.ndarray | None = None,
    ) -> list[Candidate]:
        """The top `k` for a customer whose purchases are `history` (baskets of item ids, oldest first);
        `session` holds what they showed interest in now (weighs like their newest basket); `stock`
        overrides the catalogue's stock; `category` restricts the list (and lifts what fits them); `now`
        (a date) picks the popularity of that day when the per-day trend is at hand (evaluation)."""
        rules = rules or BusinessRules()
        if popularity is None and now is not None and self.trend is not None:
            day = day_number(now)
            popularity = self.trend.at(day - 1) if day is not None else None  # what sold up to yesterday
        encoded = [self.encode(b) for b in history]
        if session:
            encoded.append(self.encode(session))
        encoded = [b for b in encoded if len(b)]
        sig = self.signals(encoded, popularity)
        n = len(self.items)
        weights = self.weights
        if category is not None and "compatible" in sig:  # asked for a kind of thing: what fits comes first
            weights = Weights(**{**asdict(weights), "compatible": max(weights.compatible, 2.0)})
        score, source = self.blend(sig, weights)
        allowed = np.ones(n, dtype=bool)
        if not encoded:  # popular-and-safe
            allowed &= self.buyers >= rules.safe_min_buyers
            if self._compat is not None and rules.safe_needs_nothing:
                allowed &= ~self._compat.has_needs
        if category is not None:
            allowed &= self._categories == category if self._categories is not None else False
        if rules.in_stock:
            allowed &= self._in_stock(stock)
        if rules.skip_owned and encoded:
            owned = np.unique(np.concatenate(encoded))
            durable = owned[self.propensity[owned] < rules.durable_ratio * self.popularity[owned]]
            allowed[durable] = False
        if "_clashes" in sig:
            allowed &= ~sig["_clashes"]
        if not allowed.any() and not encoded and (rules.safe_min_buyers or rules.safe_needs_nothing):
            # a tiny store, or a category of accessories (every case fits some phone): relax "safe" step by
            # step rather than show nothing
            relaxed = {"safe_min_buyers": 0} if rules.safe_min_buyers else {"safe_needs_nothing": False}
            return self.recommend(history, k=k, category=category, session=session, stock=stock, now=now,
                                  rules=BusinessRules(**{**asdict(rules), **relaxed}), popularity=popularity)
        ranked = top_k(score, n if rules.max_per_category and category is None else k, np.flatnonzero(~allowed))
        if rules.max_per_category and category is None and self._categories is not None:
            ranked = _diversify(ranked, self._categories, rules.max_per_category, k)
        return [Candidate(self.items[i], round(float(score[i]), 6), SOURCES[source[i]]) for i in ranked[:k]]

    def _in_stock(self, stock: Mapping[str, int] | None) -> np.ndarray:
        levels = self._stock.copy() if self._stock is not None else np.ones(len(self.items), dtype=np.int64)
        for item, level in (stock or {}).items():
            if item in self._index:
                levels[self._index[item]] = level
        return levels > 0

    # --- files ---------------------------------------------------------------------------------------

    def save(self, path: Path) -> Path:
        """Arrays in `path` (.npz), everything else in `path.with_suffix('.json')`; returns the npz path."""
        path = Path(path).with_suffix(".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path, popularity=self.popularity, buyers=self.buyers, propensity=self.propensity,
            item_factors=self.item_factors, sim_data=self.similarity.data, sim_indices=self.similarity.indices,
            sim_indptr=self.similarity.indptr,
        )
        meta = {
            "format": FORMAT_VERSION, "items": self.items, "weights": asdict(self.weights), "decay": self.decay,
            "als": {"regularization": self.als_regularization, "alpha": self.als_alpha},
            "infos": [{**asdict(i), "attributes": dict(i.attributes)} for i in self.infos], "meta": self.meta,
        }
        path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False, default=str), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> Recommender:
        path = Path(path).with_suffix(".npz")
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT_VERSION:
            raise ValueError(f"{path}: model format {meta.get('format')}, expected {FORMAT_VERSION}; retrain it")
        n = len(meta["items"])
        with np.load(path) as arrays:
            return cls(
                items=list(meta["items"]), popularity=arrays["popularity"], buyers=arrays["buyers"],
                propensity=arrays["propensity"],
                similarity=sparse.csr_matrix(
                    (arrays["sim_data"], arrays["sim_indices"], arrays["sim_indptr"]), shape=(n, n)
                ),
                item_factors=arrays["item_factors"], als_regularization=meta["als"]["regularization"],
                als_alpha=meta["als"]["alpha"], weights=Weights(**meta["weights"]), decay=meta["decay"],
                infos=[ItemInfo(**i) for i in meta["infos"]], meta=meta.get("meta", {}),
            )


def _diversify(ranked: np.ndarray, categories: np.ndarray, per_category: int, k: int) -> np.ndarray:
    """Keep rank order but at most `per_category` of a category, until k; then fill with the rest."""
    taken: list[int] = []
    overflow: list[int] = []
    used: dict[str, int] = {}
    for i in ranked.tolist():
        c = categories[i]
        if used.get(c, 0) < per_category:
            used[c] = used.get(c, 0) + 1
            taken.append(i)
            if len(taken) == k:
                break
        else:
            overflow.append(i)
    return np.array(taken + overflow[: k - len(taken)], dtype=np.int64)
