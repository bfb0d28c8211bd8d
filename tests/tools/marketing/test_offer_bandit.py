"""The offer bandit: converges to the best offer per segment on a simulation with known conversion rates, logs
exact propensities, and rebuilds the same posterior from the outcome log that it learnt online."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from scipy.special import betaln

from agent.events import CouponIssued, OfferMade, ProductInteracted
from tools.marketing import offer_log
from tools.marketing.offer_bandit import (
    OfferArm,
    OfferBandit,
    OfferRewards,
    Trial,
    ips_value,
    segment_of,
    thompson_first,
)

pytestmark = pytest.mark.unit

ARMS = [OfferArm("c618"), OfferArm("new_customer"), OfferArm("member_day")]


def simulate(bandit: OfferBandit, rates: dict[str, dict[str, float]], rounds: int, seed: int) -> list[tuple[str, str]]:
    rng = np.random.default_rng(seed)
    chosen = []
    segments = list(rates)
    for t in range(rounds):
        segment = segments[t % len(segments)]
        choice = bandit.choose(segment, ARMS, rng)
        reward = float(rng.random() < rates[segment][choice.arm.offer_id])
        bandit.observe(segment, choice.arm.key, reward)
        chosen.append((segment, choice.arm.offer_id))
    return chosen


def test_converges_to_the_best_offer_of_each_segment() -> None:
    rates = {"returning:gold": {"c618": 0.04, "new_customer": 0.07, "member_day": 0.12},
             "new_customer:regular": {"c618": 0.05, "new_customer": 0.15, "member_day": 0.06}}
    bandit = OfferBandit()
    chosen = simulate(bandit, rates, rounds=4000, seed=7)
    for segment, truth in rates.items():
        best = max(truth, key=truth.get)
        late = [offer for s, offer in chosen[-1000:] if s == segment]
        assert late.count(best) / len(late) > 0.8, (segment, late.count(best) / len(late))
        means = bandit.means(segment, ARMS)
        assert ARMS[int(np.argmax(means))].offer_id == best


@pytest.mark.parametrize("seed", range(5))
def test_finds_the_best_offer_across_seeds(seed: int) -> None:
    rates = {"s": {"c618": 0.05, "new_customer": 0.08, "member_day": 0.11}}
    bandit = OfferBandit()
    chosen = simulate(bandit, rates, rounds=2500, seed=seed)
    late = [offer for _, offer in chosen[-500:]]
    assert max(set(late), key=late.count) == "member_day"


def test_propensity_is_the_probability_the_choice_was_drawn_with() -> None:
    bandit = OfferBandit(floor=0.1)
    for _ in range(30):
        bandit.observe("s", "c618", 1.0)
        bandit.observe("s", "new_customer", 0.0)
    rng = np.random.default_rng(3)
    picks = [bandit.choose("s", ARMS, rng) for _ in range(4000)]
    # the same posterior gives the same distribution every time, and the choices follow it (within 4 sigma)
    assert all(p.distribution == picks[0].distribution for p in picks)
    dist = np.array(picks[0].distribution)
    freq = np.array([sum(p.arm == a for p in picks) for a in ARMS]) / len(picks)
    assert np.all(np.abs(freq - dist) <= 4 * np.sqrt(dist * (1 - dist) / len(picks)))
    assert all(p.distribution[p.arms.index(p.arm)] == pytest.approx(p.propensity) for p in picks)
    assert min(dist) >= 0.1 / 3 - 1e-9  # the exploration floor
    payload = picks[0].payload()
    assert payload["name"] == "offer_thompson" and payload["rank"] == 0 and payload["segment"] == "s"
    assert sorted(payload["arms"]) == sorted(a.key for a in ARMS)


def _two_arm_exact(a1: float, b1: float, a2: int, b2: float) -> float:
    """P(Beta(a2, b2) draw > Beta(a1, b1) draw), in closed form for an integer a2 (a sum of Beta functions)."""
    return float(sum(np.exp(betaln(a1 + i, b1 + b2) - np.log(b2 + i) - betaln(1 + i, b2) - betaln(a1, b1))
                     for i in range(a2)))


@pytest.mark.parametrize("first, second", [((3, 10), (5, 9)), ((2, 50), (4, 40)), ((1, 1), (40, 3)),
                                           ((5, 1000), (2, 5)), ((150, 3000), (170, 3100)), ((1, 2), (1, 3))])
def test_first_position_probability_is_the_thompson_probability(first: tuple[int, int],
                                                                 second: tuple[int, int]) -> None:
    got = thompson_first(np.array([first[0], second[0]], float), np.array([first[1], second[1]], float))
    assert got[1] == pytest.approx(_two_arm_exact(*first, *second), abs=1e-3)
    assert got.sum() == pytest.approx(1.0)


def test_first_position_distribution_of_many_arms_matches_joint_draws_and_sums_to_one() -> None:
    rng = np.random.default_rng(11)
    alpha = 1 + rng.random(12) * 30
    beta = alpha * rng.uniform(5, 12, 12)
    exact = thompson_first(alpha, beta)
    draws = rng.beta(alpha, beta, size=(400_000, 12))
    wins = np.bincount(draws.argmax(axis=1), minlength=12) / len(draws)
    assert np.abs(exact - wins).max() < 3e-3  # 400,000 draws: ~7e-4 standard error at most
    assert exact.sum() == pytest.approx(1.0) and np.all(exact >= 0)
    assert np.allclose(thompson_first(np.ones(4), np.ones(4)), 0.25)  # alike arms: alike chances
    bandit = OfferBandit(floor=0.2)
    bandit.observe("s", "c618", 1.0)
    dist = bandit.distribution("s", ARMS)
    assert dist.sum() == pytest.approx(1.0) and dist.min() >= 0.2 / 3
    assert np.array_equal(dist, bandit.distribution("s", ARMS))  # no sampling noise between decisions


def test_one_arm_is_chosen_surely_and_arms_carry_copy_variants() -> None:
    bandit = OfferBandit()
    one = bandit.choose("s", [OfferArm("c618", "urgent")])
    assert one.propensity == 1.0 and one.arm.key == "c618|urgent" and OfferArm.of_key("c618|urgent") == one.arm
    with pytest.raises(ValueError):
        bandit.choose("s", [])


def test_late_rewards_give_the_statistics_of_final_rewards() -> None:
    online = OfferBandit()
    online.observe("s", "a")  # shown: a trial with reward 0 so far
    online.credit("s", "a", 0.3)  # claimed
    online.credit("s", "a", 1.0, previous=0.3)  # redeemed
    online.credit("s", "a", 0.3, previous=1.0)  # nothing more to add
    offline = OfferBandit.from_trials([Trial("s", "a", 1.0)])
    assert online.stats == offline.stats


def test_segments() -> None:
    assert segment_of(None) == "anonymous"
    assert segment_of({"new_customer", "regular"}) == "new_customer:regular"
    assert segment_of({"returning", "gold"}) == "returning:gold"


T0 = datetime(2026, 6, 18, 10, tzinfo=UTC)


def _offer(cid: str, seq: int, arm: str, kind: str = "coupon", rank: int = 0, propensity: float = 0.5) -> OfferMade:
    return OfferMade(conversation_id=cid, seq=seq, at=T0 + timedelta(minutes=seq), kind=kind, offer_id=arm,
                     source="offers", policy={"name": "offer_thompson", "segment": "returning:gold", "arm": arm,
                                              "rank": rank, "propensity": propensity})


def test_the_log_gives_claims_redemptions_and_purchases_to_the_decision_that_led_to_them() -> None:
    events = [
        _offer("k1", 1, "new_customer"),
        _offer("k1", 2, "c618", kind="campaign", rank=1),  # shown second: not a decision
        CouponIssued(conversation_id="k1", seq=3, code="CPAAA", campaign_id="new_customer", customer_id="C1",
                     discount="20.00"),
        _offer("k2", 1, "new_customer"),
        CouponIssued(conversation_id="k2", seq=2, code="CPBBB", campaign_id="new_customer", customer_id="C2",
                     discount="20.00"),
        _offer("k3", 1, "c618", kind="campaign"),
        ProductInteracted(conversation_id="k3", seq=2, kind="purchased", product_id="P1"),
        _offer("k4", 1, "c618", kind="campaign"),
        ProductInteracted(conversation_id="k4", seq=2, kind="purchased", product_id="P9"),  # not in its scope
        CouponIssued(conversation_id="k5", seq=1, code="CPCCC", campaign_id="new_customer", customer_id="C5",
                     discount="20.00"),  # no offer before it
    ]
    found = offer_log.decisions(events, used_codes={"CPBBB"}, covers=lambda offer, product: product != "P9")
    assert [(d.event.conversation_id, d.arm, sorted(d.outcomes)) for d in found] == [
        ("k1", "new_customer", ["claimed"]), ("k2", "new_customer", ["claimed", "redeemed"]),
        ("k3", "c618", ["redeemed"]), ("k4", "c618", [])]
    trials = offer_log.trials(events, OfferRewards(claimed=0.3, redeemed=1.0), used_codes={"CPBBB"},
                              covers=lambda offer, product: product != "P9")
    assert [t.reward for t in trials] == [0.3, 1.0, 1.0, 0.0]
    rebuilt = OfferBandit.from_trials(trials)
    assert rebuilt.stats[("returning:gold", "new_customer")].successes == pytest.approx(1.3)
    # off-policy: a policy that always shows new_customer first is worth (0.3 + 1.0) / 0.5 / 4 per decision
    assert ips_value(trials, {("returning:gold", "new_customer"): 1.0}) == pytest.approx((0.3 + 1.0) / 0.5 / 4)


def test_an_offer_of_a_checkout_campaign_is_redeemed_by_an_order_it_discounted() -> None:
    """No purchase seen in the chat, but the store's order records the campaign: the offer is redeemed; an order
    discounted by another campaign, or one placed long after, is not."""
    events = [_offer("k1", 1, "c618|limited_time", kind="campaign"), _offer("k2", 1, "c618|plain", kind="campaign"),
              _offer("k3", 1, "c618|plain", kind="campaign")]
    customer = {"k1": "C1", "k2": "C2", "k3": "C3"}
    orders = {("C1", "c618"): [T0 + timedelta(days=2)], ("C2", "member_day"): [T0 + timedelta(days=1)],
              ("C3", "c618"): [T0 + timedelta(days=30)]}

    def ordered(conversation_id: str, campaign_id: str, at: datetime) -> bool:
        return any(at <= p <= at + timedelta(days=7) for p in orders.get((customer[conversation_id], campaign_id), []))

    found = offer_log.decisions(events, ordered=ordered)
    assert [(d.arm, sorted(d.outcomes)) for d in found] == [("c618|limited_time", ["redeemed"]), ("c618|plain", []),
                                                             ("c618|plain", [])]
    assert [t.reward for t in offer_log.trials(events, ordered=ordered)] == [1.0, 0.0, 0.0]
