"""Fit the shipped recommender from visits (and a catalogue), tuning its blend on a validation split.

The blend weights are chosen on each customer's last *training* visit (leave-last-out inside the training
data), never on what an evaluation holds out; the grid includes popularity alone, so the tuned blend is
at least as good as popularity on the validation split.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tools.marketing.recommender.catalogue import ItemInfo
from tools.marketing.recommender.data import Encoded, Visit, by_user, leave_last_visit_out
from tools.marketing.recommender.model import SOURCES, BusinessRules, Recommender, Weights, day_number
from tools.marketing.recommender.signals import CoOccurrence, ImplicitALS, Popularity, Repeat, TrendPopularity

Progress = Callable[[int], None]
# Makes the ALS signal: `ImplicitALS` (local, `implicit`) or `functools.partial(SparkALS, spark=session)`.
AlsFactory = Callable[..., ImplicitALS]
GRID = {"repeat": (0.0, 0.25, 0.5, 1.0), "cooccurrence": (0.0, 0.1, 0.3), "model": (0.0, 0.1, 0.3)}
COMPATIBLE_GRID = (0.0, 0.3, 1.0)


@dataclass(frozen=True, slots=True)
class TrainConfig:
    factors: int = 32
    iterations: int = 15
    regularization: float = 0.05
    alpha: float = 2.0
    trend_days: float = 60.0
    decay: float = 0.7
    tune: bool = True
    seed: int = 13
    k: int = 10

    @property
    def steps(self) -> int:
        """Progress units: ALS iterations of the validation fit (when tuning) and of the final fit, + tuning."""
        return self.iterations * (2 if self.tune else 1) + (1 if self.tune else 0)


def fit_recommender(
    visits: Sequence[Visit],
    infos: Sequence[ItemInfo] = (),
    *,
    config: TrainConfig | None = None,
    progress: Progress | None = None,
    weights: Weights | None = None,
    als: AlsFactory = ImplicitALS,
) -> Recommender:
    """A fitted `Recommender`: weights given, or tuned on a validation split (`config.tune`); `als` trains the
    ALS factors (both fits when tuning), locally by default."""
    config = config or TrainConfig()
    if weights is None:
        weights = Weights()
        if config.tune:
            split = leave_last_visit_out(visits)
            if split.held_out:
                held = by_user(visits)
                days = {u: day_number(held[u][-1].at) for u in split.held_out}
                val = _fit(split.train, infos, config, Weights(), progress, als)
                weights = tune_weights(val, split.train, split.held_out, days, config)
            if progress:
                progress(1)
    model = _fit(visits, infos, config, weights, progress, als)
    model.meta.update({"customers": len({v.user for v in visits}), "visits": len(visits)})
    return model


def _fit(
    visits: Sequence[Visit], infos: Sequence[ItemInfo], config: TrainConfig, weights: Weights,
    progress: Progress | None, als: AlsFactory = ImplicitALS,
) -> Recommender:
    enc = Encoded.build(visits, extra_items=[i.item for i in infos])
    users = sorted(enc.histories)
    histories = [enc.histories[u] for u in users]
    n = enc.n_items
    pop = Popularity(n).fit(histories)
    dated = [(d, enc.encode(v.items)) for v in visits if (d := day_number(v.at)) is not None]
    trend = TrendPopularity(n, tau_days=config.trend_days).fit(dated) if len(dated) == len(visits) else None
    repeat = Repeat(n, decay=config.decay).fit(histories)
    co = CoOccurrence(n, decay=config.decay).fit(histories)
    trained = als(
        n, factors=config.factors, iterations=config.iterations, regularization=config.regularization,
        alpha=config.alpha, seed=config.seed,
    ).fit(enc.user_items(users), progress)
    by_id = {i.item: i for i in infos}
    return Recommender(
        items=enc.items,
        popularity=(trend.latest if trend is not None else pop.scores).astype(np.float64),
        buyers=pop.buyers, propensity=repeat.propensity, similarity=co.similarity,
        item_factors=trained.item_factors, als_regularization=config.regularization, als_alpha=config.alpha,
        weights=weights, decay=config.decay, infos=[by_id.get(i, ItemInfo(i)) for i in enc.items] if infos else [],
        meta={"config": {k: getattr(config, k) for k in TrainConfig.__dataclass_fields__},
              "als_engine": trained.engine},
        trend=trend,
    )


def tune_weights(
    model: Recommender, train: Sequence[Visit], held_out: dict[str, frozenset[str]],
    days: dict[str, int | None], config: TrainConfig,
) -> Weights:
    """Grid search of the blend on HR@k (then NDCG-like rank sum) over the held-out customers."""
    histories = {
        u: [b for v in vs if len(b := model.encode(v.items))] for u, vs in by_user(train).items() if u in held_out
    }
    users = [u for u in held_out if histories.get(u)]
    if not users:
        return Weights()
    n = len(model.items)
    parts = np.zeros((len(SOURCES), len(users), n), dtype=np.float32)
    excluded = np.zeros((len(users), n), dtype=bool)
    relevant = np.zeros((len(users), n), dtype=bool)
    for r, user in enumerate(users):
        day = days.get(user)
        pop = model.trend.at(day - 1) if model.trend is not None and day is not None else None
        sig = model.signals(histories[user], pop)
        for s, name in enumerate(SOURCES):
            x = sig.get(name)
            if x is not None and float(np.max(x)) > 0:
                parts[s, r] = x / float(np.max(x))
        owned = np.unique(np.concatenate(histories[user]))
        excluded[r, owned[model.propensity[owned] < BusinessRules().durable_ratio * model.popularity[owned]]] = True
        if "_clashes" in sig:
            excluded[r] |= sig["_clashes"]
        relevant[r, model.encode(sorted(held_out[user]))] = True
    grid = dict(GRID, compatible=COMPATIBLE_GRID if model.infos else (0.0,))
    best, best_key = Weights(), (-1.0, -1.0)
    discount = 1.0 / np.log2(np.arange(config.k) + 2)
    for combo in itertools.product(*grid.values()):
        w = Weights(popular=1.0, **dict(zip(grid, combo, strict=True)))
        ws = np.array([w.by_source()[s] for s in SOURCES], dtype=np.float32)
        score = np.tensordot(ws, parts, axes=1)
        score[excluded] = -np.inf
        top = np.argpartition(-score, config.k - 1, axis=1)[:, : config.k]
        order = np.take_along_axis(top, np.argsort(-np.take_along_axis(score, top, axis=1), axis=1), axis=1)
        hits = np.take_along_axis(relevant, order, axis=1)
        key = (float(hits.any(axis=1).mean()), float((hits * discount).sum(axis=1).mean()))
        if key > best_key:
            best, best_key = w, key
    return best

