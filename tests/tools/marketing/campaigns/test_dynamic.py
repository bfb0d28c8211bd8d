"""Dynamic thresholds: the bounds a marketer sets are validated against the rules, and on simulated customers
with known participation at each level the bandit finds the level that earns the most margin-adjusted revenue
per offer, and the participation rule stops at the highest level that meets its target."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from pydantic import ValidationError

from tools.marketing.campaigns.dynamic import LevelStats, Observation, best_level, decide, level_stats, reward
from tools.marketing.campaigns.rules import CampaignRules

pytestmark = pytest.mark.unit

LEVELS = [200, 220, 240, 260, 280, 300, 320]
# known participation at each level: it falls off sharply past 260
PARTICIPATION = dict(zip(LEVELS, [0.52, 0.47, 0.41, 0.40, 0.22, 0.14, 0.08], strict=True))
DISCOUNT, MARGIN = 50, 0.3


def expected(level: int) -> float:
    """Mean margin-adjusted revenue per offer: participants spend the threshold plus Exp(40) on average."""
    return PARTICIPATION[level] * ((level + 40) * MARGIN - DISCOUNT)


def rules(policy: str = "bandit", **over) -> CampaignRules:
    dt = {"min": 200, "max": 320, "step": 20, "policy": policy, "margin": MARGIN, "min_offers": 100, **over}
    if policy == "participation":
        dt.setdefault("target_participation", 0.35)
    return CampaignRules.model_validate({"type": "threshold", "tiers": [{"min_spend": 320, "discount": DISCOUNT}],
                                         "dynamic_threshold": dt})


def offers(level: int, n: int, rng: np.random.Generator) -> LevelStats:
    """n offers at `level`, simulated at once."""
    took = rng.random(n) < PARTICIPATION[level]
    spend = level + rng.exponential(40, n)
    r = np.where(took, spend * MARGIN - DISCOUNT, 0.0)
    s = LevelStats(Decimal(level))
    s.offers, s.participants, s.total, s.total_sq = n, int(took.sum()), float(r.sum()), float((r * r).sum())
    return s


def merge(into: list[LevelStats], batch: LevelStats) -> None:
    row = next(s for s in into if s.level == batch.level)
    row.offers += batch.offers
    row.participants += batch.participants
    row.total += batch.total
    row.total_sq += batch.total_sq


def run_bandit(seed: int, rounds: int = 250) -> tuple[list[int], Decimal | None]:
    from tools.marketing.campaigns.dynamic import bandit_move

    dt = rules().dynamic_threshold
    assert dt is not None
    rng = np.random.default_rng(seed)
    stats = [LevelStats(level) for level in dt.levels()]
    level, visited = Decimal(320), []
    for _ in range(rounds):
        batch = offers(int(level), 100, rng)
        merge(stats, batch)
        move = bandit_move(dt, stats, batch, rng)
        assert move.reason
        level = move.level or level
        visited.append(int(level))
    return visited, best_level(stats)


def test_the_simulation_has_one_best_level() -> None:
    values = {level: expected(level) for level in LEVELS}
    assert max(values, key=values.get) == 260 and sorted(values.values())[-2] < values[260] - 2


@pytest.mark.parametrize("seed", range(4))
def test_the_bandit_finds_the_level_that_earns_the_most(seed: int) -> None:
    visited, best = run_bandit(seed)
    assert best == Decimal(260)
    late = visited[-80:]
    assert late.count(260) / len(late) > 0.5, {lv: late.count(lv) for lv in LEVELS}


def test_the_participation_rule_lowers_the_threshold_until_it_meets_its_target() -> None:
    r = rules("participation", target_participation=0.35)
    dt = r.dynamic_threshold
    assert dt is not None
    rng = np.random.default_rng(5)
    level, moves = Decimal(320), []
    for _ in range(20):
        batch = offers(int(level), 400, rng)
        since = [Observation(level, i < batch.participants) for i in range(batch.offers)]
        move = decide(dt, level, since, since, rng)
        if move.level is not None:
            assert move.level < level and "below the target" in move.reason
            moves.append((level, move.level))
            level = move.level
    # the highest level whose participation (0.40 at 260) meets 35%
    assert level == Decimal(260) and len(moves) == 3


def test_a_pinned_threshold_never_moves_and_a_move_waits_for_enough_offers() -> None:
    dt = rules(pinned=True).dynamic_threshold
    assert dt is not None
    many = [Observation(Decimal(320), False)] * 500
    assert decide(dt, Decimal(320), many, many, np.random.default_rng(0)).level is None
    dt = rules("participation").dynamic_threshold
    assert dt is not None
    few = [Observation(Decimal(320), False)] * 99
    move = decide(dt, Decimal(320), few, few, np.random.default_rng(0))
    assert move.level is None and "99 of 100" in move.reason
    lowest = [Observation(Decimal(200), False)] * 100
    assert decide(dt, Decimal(200), lowest, lowest, np.random.default_rng(0)).level is None


def test_bounds_must_fit_the_rules() -> None:
    base = {"type": "threshold", "tiers": [{"min_spend": 300, "discount": 50}]}
    for dt, words in (({"min": 40, "max": 300, "step": 20, "policy": "bandit"}, "more than the discount"),
                      ({"min": 200, "max": 300, "step": 30, "policy": "bandit"}, "whole steps"),
                      ({"min": 310, "max": 400, "step": 10, "policy": "bandit"}, "one of its levels"),
                      ({"min": 200, "max": 300, "step": 20, "policy": "participation"}, "needs a target"),
                      ({"min": 300, "max": 200, "step": 20, "policy": "bandit"}, "not be below min")):
        with pytest.raises(ValidationError) as err:
            CampaignRules.model_validate({**base, "dynamic_threshold": dt})
        assert words in str(err.value), (dt, str(err.value))
    with pytest.raises(ValidationError, match="tier 2"):
        CampaignRules.model_validate({"type": "threshold", "tiers": [{"min_spend": 300, "discount": 50},
                                                                      {"min_spend": 500, "discount": 100}],
                                      "dynamic_threshold": {"min": 200, "max": 500, "step": 100, "policy": "bandit"}})
    with pytest.raises(ValidationError, match="percent_off"):
        CampaignRules.model_validate({"type": "percent_off", "percent_off": 10,
                                      "dynamic_threshold": {"min": 200, "max": 300, "step": 100, "policy": "bandit"}})


def test_moving_the_threshold_keeps_the_rest_of_the_rules() -> None:
    r = rules()
    moved = r.with_threshold(Decimal(260))
    assert moved.threshold == Decimal(260) and moved.tiers[0].discount == DISCOUNT
    assert moved.dynamic_threshold == r.dynamic_threshold
    assert CampaignRules.model_validate(moved.data()) == moved
    coupon = CampaignRules.model_validate({"type": "coupon", "discount": 20, "min_spend": 199, "valid_days": 7,
                                           "dynamic_threshold": {"min": 99, "max": 199, "step": 50,
                                                                 "policy": "bandit"}})
    assert coupon.with_threshold(Decimal(149)).min_spend == Decimal(149)
    with pytest.raises(ValidationError):
        r.with_threshold(Decimal(40))


def test_reward_and_level_figures() -> None:
    assert reward(Decimal("300"), Decimal("50"), 0.3) == pytest.approx(40.0)
    dt = rules().dynamic_threshold
    assert dt is not None
    rows = level_stats(dt, [Observation(Decimal(260), True, 40.0), Observation(Decimal(260), False),
                            Observation(Decimal(250), True, 1.0)])  # 250 is not a level: left out
    row = next(r for r in rows if r.level == 260)
    assert (row.offers, row.participation, row.mean) == (2, 0.5, 20.0)
    assert sum(r.offers for r in rows) == 2
