"""Moving a campaign's threshold within the bounds its marketer set (`rules.DynamicThreshold`).

What a level earned is read from the offers made while it was in force: each offer is an observation whose
reward is the margin-adjusted revenue it brought (`reward`: what the customer spent on the campaign's items
times the margin, less the discount given; 0 when they did not take part). Two policies decide the next level:

- `bandit`: Thompson sampling over the levels with a normal model of each level's mean reward per offer (a
  common variance pooled over all offers; each level's prior is the pooled mean worth one offer, so a level
  not yet tried is drawn widely and gets tried). It moves only once the level in force has `min_offers` offers
  since it was set, so each level is judged on a batch.
- `participation`: lowers the threshold one step while the share of offers taken up at the level in force
  (after `min_offers` of them) is below `target_participation`, never below `min`.

Each decision says why (`Move.reason`, in words for the audit trail, and its figures). A pinned threshold never
moves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from tools.marketing.campaigns.rules import DynamicThreshold


@dataclass(frozen=True, slots=True)
class Observation:
    """One offer made at `level`: whether the customer took part, and the margin-adjusted revenue it earned."""

    level: Decimal
    participated: bool
    reward: float = 0.0


def reward(spend: Decimal | float, discount: Decimal | float, margin: float) -> float:
    """What an order taken under the campaign earned the store: its spend on the campaign's items at the margin,
    less the discount."""
    return float(spend) * margin - float(discount)


@dataclass(slots=True)
class LevelStats:
    level: Decimal
    offers: int = 0
    participants: int = 0
    total: float = 0.0
    total_sq: float = 0.0

    @property
    def participation(self) -> float | None:
        return self.participants / self.offers if self.offers else None

    @property
    def mean(self) -> float | None:
        return self.total / self.offers if self.offers else None

    def add(self, participated: bool, reward: float) -> None:
        self.offers += 1
        self.participants += participated
        self.total += reward
        self.total_sq += reward * reward

    def as_dict(self) -> dict[str, Any]:
        return {"level": f"{self.level:.2f}", "offers": self.offers, "participants": self.participants,
                "participation": self.participation, "mean_reward": self.mean}


def level_stats(dt: DynamicThreshold, observations: Iterable[Observation]) -> list[LevelStats]:
    """Figures per level of the bounds (observations at other levels are left out)."""
    rows = {level: LevelStats(level) for level in dt.levels()}
    for o in observations:
        row = rows.get(o.level)
        if row is not None:
            row.add(o.participated, o.reward)
    return list(rows.values())


@dataclass(frozen=True, slots=True)
class Move:
    """A decision: `level` the level to set (None: stay where it is), `reason` why, in words, `figures` the
    numbers behind it."""

    level: Decimal | None
    reason: str
    figures: dict[str, Any] = field(default_factory=dict)


def _fmt(level: Decimal) -> str:
    return f"{level:.2f}"


def participation_move(dt: DynamicThreshold, current: LevelStats) -> Move:
    """The participation rule on the offers made at the level in force since it was set (`current`)."""
    assert dt.target_participation is not None
    n, level = current.offers, current.level
    if n < dt.min_offers:
        return Move(None, f"waiting: {n} of {dt.min_offers} offers at {_fmt(level)}", {"offers": n})
    rate = current.participants / n
    figures = {"offers": n, "participation": round(rate, 4), "target": dt.target_participation}
    if rate >= dt.target_participation:
        return Move(None, f"participation {rate:.1%} over {n} offers meets the target "
                          f"{dt.target_participation:.1%}", figures)
    lower = [x for x in dt.levels() if x < level]
    if not lower:
        return Move(None, f"participation {rate:.1%} is below the target {dt.target_participation:.1%} but "
                          f"{_fmt(level)} is the lowest level allowed", figures)
    return Move(lower[-1], f"participation {rate:.1%} over {n} offers is below the target "
                           f"{dt.target_participation:.1%}: lowered {_fmt(level)} → {_fmt(lower[-1])}", figures)


def posterior(stats: Sequence[LevelStats]) -> tuple[np.ndarray, np.ndarray]:
    """Each level's posterior mean reward per offer and its standard deviation (see the module docstring); the
    deviations are infinite before any offer."""
    n = np.array([s.offers for s in stats], dtype=float)
    total = np.array([s.total for s in stats])
    total_sq = np.array([s.total_sq for s in stats])
    count = n.sum()
    if count == 0:
        return np.zeros(len(stats)), np.full(len(stats), np.inf)
    pooled_mean = total.sum() / count
    # the within-level variance pooled over levels (a level's own mean taken out), floored so a level where
    # nothing happened yet is not taken as certain
    within = total_sq.sum() - float(np.sum(np.where(n > 0, total * total / np.maximum(n, 1), 0.0)))
    variance = max(within / max(count - np.count_nonzero(n), 1), (abs(pooled_mean) + 1.0) ** 2 * 1e-2)
    prior_n = 1.0
    return (prior_n * pooled_mean + total) / (prior_n + n), np.sqrt(variance / (prior_n + n))


def bandit_move(dt: DynamicThreshold, stats: Sequence[LevelStats], current: LevelStats,
                rng: np.random.Generator) -> Move:
    """Thompson sampling over the levels (`stats`: every offer so far, per level; `current`: the offers at the
    level in force since it was set)."""
    level = current.level
    if current.offers < dt.min_offers:
        return Move(None, f"waiting: {current.offers} of {dt.min_offers} offers at {_fmt(level)}",
                    {"offers": current.offers})
    mean, sd = posterior(stats)
    levels = [s.level for s in stats]
    draw = rng.normal(mean, sd)
    pick = levels[int(np.argmax(draw))]
    best = levels[int(np.argmax(mean))]
    figures = {"levels": [s.as_dict() for s in stats], "posterior_mean": [round(float(m), 4) for m in mean],
               "best_mean": _fmt(best)}
    i = levels.index(level)
    if pick == level:
        return Move(None, f"Thompson draw keeps {_fmt(level)} (margin-adjusted revenue per offer ¥{mean[i]:.2f}; "
                          f"best so far {_fmt(best)})", figures)
    j = levels.index(pick)
    return Move(pick, f"Thompson draw moves {_fmt(level)} → {_fmt(pick)} (margin-adjusted revenue per offer "
                      f"¥{mean[i]:.2f} → ¥{mean[j]:.2f} over {stats[j].offers} offers; best so far {_fmt(best)})",
                figures)


def best_level(stats: Sequence[LevelStats]) -> Decimal | None:
    """The level with the highest posterior mean reward (None before any offer)."""
    mean, sd = posterior(stats)
    if not np.all(np.isfinite(sd)):
        return None
    return stats[int(np.argmax(mean))].level


def decide(dt: DynamicThreshold, current: Decimal, observations: Iterable[Observation],
           since_set: Iterable[Observation], rng: np.random.Generator) -> Move:
    """The policy's move for a campaign whose threshold is `current`: `observations` are every offer recorded
    with its level, `since_set` those made since `current` was set."""
    if dt.pinned:
        return Move(None, "pinned by the marketer", {})
    if current not in dt.levels():
        return Move(None, f"the threshold now ({_fmt(current)}) is not one of the levels", {})
    now = next(s for s in level_stats(dt, since_set) if s.level == current)
    if dt.policy == "participation":
        return participation_move(dt, now)
    return bandit_move(dt, level_stats(dt, observations), now, rng)
