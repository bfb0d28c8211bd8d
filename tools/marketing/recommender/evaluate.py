"""Offline evaluation: leave-last-visit-out next-basket HR@k / NDCG@k, and basket completion.

Baselines beside the shipped recommender: popularity, item-item co-occurrence from the customer's
history, and plain ALS (8 factors, 20 iterations, as the Groceries reference). The shipped recommender
is fitted on the training visits only (its blend tuned inside them) and asked at the held-out visit's
date, with the business rules on except stock (today's stock says nothing about a past visit).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tools.marketing.recommender.catalogue import ItemInfo
from tools.marketing.recommender.data import Encoded, Visit, by_user, leave_last_visit_out
from tools.marketing.recommender.metrics import hit_at_k, ndcg_at_k, top_k
from tools.marketing.recommender.model import BusinessRules, day_number
from tools.marketing.recommender.signals import CoOccurrence, ImplicitALS, Popularity
from tools.marketing.recommender.train import AlsFactory, TrainConfig, fit_recommender

Progress = Callable[[int], None]
EVAL_RULES = BusinessRules(in_stock=False)


@dataclass(frozen=True, slots=True)
class Score:
    method: str
    hr: float
    ndcg: float
    users: int

    def __str__(self) -> str:
        return f"{self.method:<16} HR@10 {self.hr:.3f}  NDCG@10 {self.ndcg:.3f}  (n={self.users})"


def next_basket(
    visits: Sequence[Visit], infos: Sequence[ItemInfo] = (), *, k: int = 10, config: TrainConfig | None = None,
    progress: Progress | None = None, als: AlsFactory = ImplicitALS,
) -> list[Score]:
    """Hold out each customer's last visit (customers with two or more); score four methods on it. `als` trains
    plain ALS and the shipped model's ALS (`SparkALS` to measure the Spark engine)."""
    split = leave_last_visit_out(visits)
    enc = Encoded.build(split.train)
    users = sorted(split.held_out)
    histories = {u: enc.histories.get(u, []) for u in users}
    all_histories = list(enc.histories.values())
    pop = Popularity(enc.n_items).fit(all_histories)
    co = CoOccurrence(enc.n_items, decay=1.0, basket_weight=0.0).fit(all_histories)
    train_users = sorted(enc.histories)
    plain = als(enc.n_items, factors=8, iterations=20, regularization=0.01, alpha=1.0).fit(
        enc.user_items(train_users)
    )
    baselines: dict[str, Callable[[list[np.ndarray]], np.ndarray]] = {
        "popularity": pop.score,
        "co-occurrence": co.score,
        "ALS (plain)": plain.score,
    }
    out = []
    for name, score in baselines.items():
        ranked = {u: [enc.items[i] for i in top_k(score(histories[u]), k)] for u in users}
        out.append(_score(name, ranked, split.held_out, k))
    model = fit_recommender(split.train, infos, config=config, progress=progress, als=als)
    last = {u: vs[-1].at for u, vs in by_user(visits).items()}
    train_by_user = by_user(split.train)
    ranked = {}
    for u in users:
        history = [v.items for v in train_by_user.get(u, [])]
        ranked[u] = [c.item for c in model.recommend(history, k=k, now=last[u], rules=EVAL_RULES)]
    out.append(_score("shipped", ranked, split.held_out, k))
    weights = ", ".join(f"{s} {w:g}" for s, w in model.weights.by_source().items() if w)
    out.append(Score(f"  (blend: {weights})", float("nan"), float("nan"), 0))
    return out


def basket_completion(
    baskets: dict[str, list[str]], users: dict[str, str] | None = None, infos: Sequence[ItemInfo] = (), *,
    k: int = 10, test_share: int = 5, config: TrainConfig | None = None, progress: Progress | None = None,
    als: AlsFactory = ImplicitALS,
) -> list[Score]:
    """Every `test_share`-th basket (by a hash of its id) is a test basket: one item hidden (chosen by a
    hash, so runs agree), the rest given as the session; trained on the other baskets (with their
    customer's earlier baskets as history when `users` maps basket → customer)."""
    users = users or {}
    test_ids = [b for b in sorted(baskets) if len(baskets[b]) >= 2 and zlib.crc32(b.encode()) % test_share == 0]
    test = set(test_ids)
    train = [Visit(users.get(b, f"basket:{b}"), b, tuple(items)) for b, items in baskets.items() if b not in test]
    enc = Encoded.build(train)
    pop = Popularity(enc.n_items).fit(list(enc.histories.values()))
    model = fit_recommender(train, infos, config=config or TrainConfig(tune=False), progress=progress, als=als)
    history = by_user(train)
    ranked_pop, ranked_model, held = {}, {}, {}
    for b in test_ids:
        items = list(dict.fromkeys(baskets[b]))
        hidden = items[zlib.crc32(f"{b}:hide".encode()) % len(items)]
        session = [i for i in items if i != hidden]
        held[b] = frozenset([hidden])
        ranked_pop[b] = [enc.items[i] for i in top_k(pop.scores, k, enc.encode(session))]
        past = [v.items for v in history.get(users[b], [])] if b in users else []
        ranked_model[b] = [
            c.item for c in model.recommend(past, session=session, k=k + len(session), rules=EVAL_RULES)
            if c.item not in session
        ][:k]
    return [_score("popularity", ranked_pop, held, k), _score("shipped", ranked_model, held, k)]


def _score(name: str, ranked: dict[str, list[str]], held: dict[str, frozenset[str]], k: int) -> Score:
    hr = np.mean([hit_at_k(ranked[u], held[u], k) for u in ranked]) if ranked else 0.0
    nd = np.mean([ndcg_at_k(ranked[u], held[u], k) for u in ranked]) if ranked else 0.0
    return Score(name, float(hr), float(nd), len(ranked))


__all__ = ["Score", "basket_completion", "day_number", "next_basket"]
