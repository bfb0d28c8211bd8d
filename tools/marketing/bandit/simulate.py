"""A shop with known click rates, to check a re-ranking policy and the offline estimators against the truth.

Each customer has a segment and a language; each product a true click rate per segment. The recommender's
score knows the products' overall popularity but not what each segment prefers, so the current score order
is good but not best, and a contextual policy has something to learn. Used by tests and the bench only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tools.marketing.bandit.features import Candidate
from tools.marketing.bandit.policy import LinearThompson, Policy, rank
from tools.marketing.bandit.records import Logged, Outcome, RewardWeights

# In the simulation the reward is the click itself, so a policy's value is its click rate.
CLICKS = RewardWeights(click=1.0)


@dataclass(slots=True)
class Shop:
    """`ctr[s, i]`: the chance a customer of segment `segments[s]` clicks product i when it is shown first."""

    products: list[Candidate]
    segments: tuple[str, ...]
    ctr: np.ndarray
    languages: tuple[str, ...] = ("zh", "en")
    per_list: int | None = None  # candidates per list (a random subset), or all products

    @classmethod
    def make(cls, ctr: Sequence[Sequence[float]], segments: Sequence[str] | None = None, *,
             per_list: int | None = None, score_noise: float = 0.0, seed: int = 0) -> Shop:
        table = np.asarray(ctr, dtype=float)
        segs = tuple(segments or [f"seg{i}" for i in range(table.shape[0])])
        rng = np.random.default_rng(seed)
        popularity = table.mean(axis=0) + score_noise * rng.standard_normal(table.shape[1])
        products = [
            Candidate(product_id=f"P{i:03d}", source=("model", "co_occurrence", "popular")[i % 3],
                      score=float(popularity[i]), category=f"cat{i % 2}")
            for i in range(table.shape[1])
        ]
        return cls(products=products, segments=segs, ctr=table, per_list=per_list)

    def context(self, rng: np.random.Generator) -> tuple[int, dict[str, str], list[Candidate]]:
        s = int(rng.integers(len(self.segments)))
        ctx = {"segment": self.segments[s], "language": self.languages[int(rng.integers(len(self.languages)))]}
        if self.per_list is None:
            cands = list(self.products)
        else:
            cands = [self.products[i] for i in rng.choice(len(self.products), self.per_list, replace=False)]
        return s, ctx, cands

    def rate(self, segment: int, product_id: str) -> float:
        return float(self.ctr[segment, int(product_id[1:])])

    def outcome(self, segment: int, product_id: str, rng: np.random.Generator) -> Outcome:
        return Outcome(clicked=bool(rng.random() < self.rate(segment, product_id)))

    def true_value(self, policy: Policy, *, draws: int = 4000, seed: int = 12345) -> float:
        """The policy's expected click rate: exact over its first-product distribution, averaged over
        `draws` contexts (exact over segments and languages when every list holds every product)."""
        rng = np.random.default_rng(seed)
        if self.per_list is None:
            contexts = [(s, {"segment": seg, "language": lang}, list(self.products))
                        for s, seg in enumerate(self.segments) for lang in self.languages]
        else:
            contexts = [self.context(rng) for _ in range(draws)]
        total = 0.0
        for s, ctx, cands in contexts:
            p = policy.probabilities(ctx, cands)
            total += float(p @ np.array([self.rate(s, c.product_id) for c in cands]))
        return total / len(contexts)

    def best_rate(self, segment: int, candidates: Sequence[Candidate]) -> float:
        return max(self.rate(segment, c.product_id) for c in candidates)


def log(shop: Shop, policy: Policy, rounds: int, *, seed: int = 0) -> list[Logged]:
    """Serve `rounds` lists with a fixed policy and record them with their rewards."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(rounds):
        s, ctx, cands = shop.context(rng)
        served = rank(policy, ctx, cands, rng)
        rows.append(Logged.join(served, shop.outcome(s, served.chosen, rng), CLICKS))
    return rows


@dataclass(slots=True)
class Run:
    best_share: np.ndarray  # 1 where the policy put the segment's best product first
    regret: np.ndarray  # per round: best click rate minus the chosen product's click rate
    logs: list[Logged]


def learn(shop: Shop, policy: LinearThompson, rounds: int, *, seed: int = 0) -> Run:
    """Serve and learn online for `rounds` lists."""
    rng = np.random.default_rng(seed)
    best, regret, rows = np.zeros(rounds), np.zeros(rounds), []
    for t in range(rounds):
        s, ctx, cands = shop.context(rng)
        served = rank(policy, ctx, cands, rng)
        top = shop.best_rate(s, cands)
        chosen_rate = shop.rate(s, served.chosen)
        best[t] = chosen_rate == top
        regret[t] = top - chosen_rate
        row = Logged.join(served, shop.outcome(s, served.chosen, rng), CLICKS)
        policy.learn(served, row.reward)
        rows.append(row)
    return Run(best_share=best, regret=regret, logs=rows)
