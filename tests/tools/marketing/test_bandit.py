"""The re-ranking bandit and its offline evaluation, against a simulated shop whose click rates are known.

What a marketer relies on: the bandit ends up putting each segment's best product first; the offline
estimate of a policy's click rate lands within its interval of the truth; a worse policy is never
recommended for switch-on; what one worker learns reaches the others; the logged record round-trips.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from tools.marketing.bandit import (
    Candidate,
    Greedy,
    LinearThompson,
    Logged,
    Outcome,
    ScoreOrder,
    Served,
    Uniform,
    compare,
    dr,
    ips,
    join_logs,
    rank,
    replay,
    snips,
)
from tools.marketing.bandit.simulate import Shop, learn, log

pytestmark = pytest.mark.unit

# Two segments that want opposite products; the recommender's score (overall popularity) puts P000 first
# for everyone, right for one segment only: score order earns 0.175 clicks per list, the best possible 0.30.
CTR = [[0.05, 0.10, 0.15, 0.08, 0.30], [0.30, 0.10, 0.15, 0.08, 0.05]]
UNIFORM_REGRET = float(np.mean([max(r) - np.mean(r) for r in CTR]))


@pytest.fixture(autouse=True)
def one_blas_thread() -> Iterator[None]:
    """Small matrices: threads only contend on a shared CI machine."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def shop() -> Shop:
    return Shop.make(CTR, ["new", "loyal"])


class LowestScore:
    """A deliberately bad candidate: puts the least popular product first."""

    name = "lowest_score"

    def probabilities(self, context: Mapping[str, Any], candidates: Sequence[Candidate]) -> np.ndarray:
        p = np.zeros(len(candidates))
        p[int(np.argmin([c.score for c in candidates]))] = 1.0
        return p


def test_bandit_converges_to_each_segments_best_product(shop: Shop) -> None:
    run = learn(shop, LinearThompson(seed=0), 2000, seed=0)
    late = run.best_share[-400:].mean()
    early = run.best_share[:400].mean()
    assert late >= 0.8, late  # the epsilon floor alone caps it at 0.96
    assert early < late - 0.2
    # Regret: far below serving at random, and growing slower as it learns.
    assert run.regret.sum() < 0.35 * UNIFORM_REGRET * 2000
    assert run.regret[1000:].sum() < 0.6 * run.regret[:1000].sum()


@pytest.fixture(scope="module")
def trained(shop: Shop) -> LinearThompson:
    """A bandit after 1200 lists online (shared: tests that use it must not train it further)."""
    policy = LinearThompson(seed=1)
    with threadpool_limits(limits=1, user_api="blas"):
        learn(shop, policy, 1200, seed=1)
    return policy


def test_trained_bandit_beats_the_current_order_in_truth(shop: Shop, trained: LinearThompson) -> None:
    assert shop.true_value(Greedy(trained)) == pytest.approx(0.30)
    assert shop.true_value(trained) > shop.true_value(ScoreOrder()) + 0.05  # even while exploring


@pytest.fixture(scope="module")
def uniform_logs(shop: Shop) -> list[list[Logged]]:
    """20 independent logs of 1000 lists each, served uniformly at random."""
    return [log(shop, Uniform(), 1000, seed=seed) for seed in range(20)]


@pytest.mark.parametrize("estimator", [ips, snips, dr, replay])
def test_offline_estimate_from_uniform_logs_covers_the_truth(
    shop: Shop, uniform_logs: list[list[Logged]], estimator: Any
) -> None:
    target = ScoreOrder()
    truth = shop.true_value(target)
    covered, errors = 0, []
    for logs in uniform_logs:
        est = estimator(target, logs)
        covered += est.covers(truth)
        errors.append(abs(est.value - truth))
        assert est.low < est.value < est.high
    assert covered >= 18, covered
    assert np.mean(errors) < 0.03


def test_offline_estimate_of_a_stochastic_policy_from_exploring_logs(shop: Shop, trained: LinearThompson) -> None:
    """The realistic case: logs from the current order with 20% exploration, target the exploring bandit."""
    bandit = LinearThompson.from_json(trained.to_json(), seed=2)
    bandit.samples = 2000  # a steadier Monte Carlo for the truth and the estimate
    truth = shop.true_value(bandit)
    logs = log(shop, ScoreOrder(epsilon=0.2), 2000, seed=3)
    est = dr(bandit, logs)
    assert est.covers(truth), (est, truth)
    assert est.ess < len(logs) / 2  # most lists were served by the other policy's first choice


def test_compare_switches_on_only_a_better_policy(shop: Shop, trained: LinearThompson) -> None:
    logs = log(shop, Uniform(), 3000, seed=5)
    current = ScoreOrder()

    better = compare(current, Greedy(trained), logs)
    assert better.switch_on and better.decision == "better"
    assert better.lift_low > 0
    assert better.candidate.covers(shop.true_value(Greedy(trained)))
    assert better.current.covers(shop.true_value(current))

    worse = compare(current, LowestScore(), logs, method="ips")
    assert not worse.switch_on and worse.decision == "worse"
    assert "worse" in worse.reason

    same = compare(current, ScoreOrder(name="score_order_copy"), logs, method="snips")
    assert not same.switch_on and same.decision == "inconclusive"

    modest = compare(current, Greedy(trained), logs, min_lift=0.5)  # a bar it cannot clear
    assert not modest.switch_on


def test_worse_candidate_is_never_switched_on_across_seeds(shop: Shop) -> None:
    current = ScoreOrder()
    for seed in range(8):
        logs = log(shop, ScoreOrder(epsilon=0.3), 500, seed=seed)
        for method in ("ips", "snips", "dr"):
            assert not compare(current, LowestScore(), logs, method=method).switch_on


def test_served_record_round_trips_and_carries_the_propensity(shop: Shop, trained: LinearThompson) -> None:
    policy = trained
    rng = np.random.default_rng(0)
    served = rank(policy, {"segment": "loyal", "language": "zh"}, [c.to_dict() for c in shop.products], rng)
    payload = json.loads(json.dumps(served.to_payload()))  # what goes into the RecommendationShown event
    assert set(payload) >= {"policy", "version", "context", "candidates", "ranking", "chosen", "propensity"}
    assert payload["ranking"][0] == payload["chosen"]
    assert sorted(payload["ranking"]) == sorted(c.product_id for c in shop.products)
    assert policy.epsilon / len(shop.products) <= payload["propensity"] <= 1.0
    back = Served.from_payload(payload)
    assert back == served
    with pytest.raises(ValueError, match="propensity"):
        Served.from_payload({**payload, "propensity": 0})
    with pytest.raises(ValueError, match="no candidates"):
        rank(policy, {}, [], rng)


def test_logged_propensity_is_the_frequency_it_was_served_with(shop: Shop) -> None:
    """IPS is only as good as the propensities: a fixed policy's choices match what it logged."""
    policy = LinearThompson(seed=6)
    learn(shop, policy, 150, seed=6)
    rng = np.random.default_rng(1)
    ctx = {"segment": "new", "language": "en"}
    served = [rank(policy, ctx, shop.products, rng) for _ in range(2000)]
    first = np.array([s.chosen == "P004" for s in served])
    logged = np.mean([s.propensity for s in served if s.chosen == "P004"])
    # E[1/p] over the lists that chose it equals 1/frequency when p is the true propensity.
    assert np.mean([1 / s.propensity for s in served if s.chosen == "P004"]) == pytest.approx(
        1 / first.mean(), rel=0.1)
    assert logged == pytest.approx(first.mean(), abs=0.06)


def test_rewards_weigh_purchase_over_cart_over_click() -> None:
    assert Outcome().reward() == 0.0
    assert Outcome(clicked=True).reward() == pytest.approx(0.2)
    assert Outcome(clicked=True, added_to_cart=True).reward() == pytest.approx(0.5)
    assert Outcome(clicked=True, added_to_cart=True, purchased=True).reward() == pytest.approx(1.0)
    assert Outcome.of({"purchased": True}).reward() == pytest.approx(1.0)


def test_bandit_learns_purchases_matter_more_than_clicks() -> None:
    """Product A gets more clicks, product B more purchases: weighted rewards make B first."""
    a, b = Candidate("A", source="popular", score=0.9), Candidate("B", source="model", score=0.1)
    policy = LinearThompson(seed=7)
    rng = np.random.default_rng(7)
    ctx = {"segment": "new"}
    for _ in range(600):
        served = rank(policy, ctx, [a, b], rng)
        if served.chosen == "A":
            outcome = Outcome(clicked=rng.random() < 0.5)
        else:
            bought = rng.random() < 0.25
            outcome = Outcome(clicked=bought or rng.random() < 0.1, added_to_cart=bought, purchased=bought)
        policy.learn(served, outcome if rng.random() < 0.5 else {"clicked": outcome.clicked,
                                                              "added_to_cart": outcome.added_to_cart,
                                                              "purchased": outcome.purchased})
    pref = policy.preference(ctx, [a, b])
    assert pref[1] > pref[0]


def test_state_saves_to_npz_and_json_and_loads_the_same(shop: Shop, tmp_path: Any) -> None:
    policy = LinearThompson(seed=8)
    learn(shop, policy, 400, seed=8)
    ctx = {"segment": "new", "language": "zh"}
    policy.save(tmp_path / "bandit.npz")
    from_npz = LinearThompson.load(tmp_path / "bandit.npz", seed=3)
    from_json = LinearThompson.from_json(json.loads(json.dumps(policy.to_json())), seed=3)
    for loaded in (from_npz, from_json):
        assert loaded.n == policy.n == 400
        np.testing.assert_allclose(loaded.preference(ctx, shop.products), policy.preference(ctx, shop.products))
        assert loaded.noise() == pytest.approx(policy.noise())
    policy._rng = np.random.default_rng(3)
    np.testing.assert_allclose(from_npz.probabilities(ctx, shop.products), policy.probabilities(ctx, shop.products),
                               atol=1e-6)
    with pytest.raises(ValueError, match="does not match"):
        LinearThompson.from_json({**policy.to_json(), "dim": 64})


def test_workers_share_what_they_learn(shop: Shop) -> None:
    """Two workers each learn from half the lists; after exchanging deltas both hold what one worker
    learning from all of them would."""
    logs = log(shop, Uniform(), 600, seed=9)
    one, w1, w2 = LinearThompson(), LinearThompson(), LinearThompson()
    for i, row in enumerate(logs):
        one.learn(row.served, row.reward)
        (w1 if i % 2 else w2).learn(row.served, row.reward)
    d1, d2 = w1.take_delta(), w2.take_delta()
    w1.absorb(d2)
    w2.absorb(d1)
    ctx = {"segment": "loyal", "language": "en"}
    for worker in (w1, w2):
        assert worker.n == one.n == 600
        np.testing.assert_allclose(worker.preference(ctx, shop.products), one.preference(ctx, shop.products),
                                   atol=1e-9)
    assert w1.take_delta().n == 0  # absorbed deltas are not passed on again


def test_evaluation_refuses_what_it_cannot_estimate(shop: Shop) -> None:
    with pytest.raises(ValueError, match="no logged"):
        ips(ScoreOrder(), [])
    with pytest.raises(ValueError, match="uniformly"):
        replay(ScoreOrder(), log(shop, ScoreOrder(epsilon=0.2), 50, seed=0))


def test_logs_join_from_recommendation_events(shop: Shop, trained: LinearThompson) -> None:
    """Event payloads as the service stores them: ranked lists with outcomes become evaluation rows; lists no
    policy ranked are skipped, and a ranked list nobody touched counts as reward 0."""
    rng = np.random.default_rng(4)
    ctx = {"segment": "new", "language": "en"}
    a, b = (rank(trained, ctx, shop.products, rng) for _ in range(2))
    shown = [
        ("e1", {"product_ids": a.ranking, "source": "recommender", "bandit": json.loads(json.dumps(a.to_payload()))}),
        ("e2", {"product_ids": ["P001"], "source": "search"}),
        ("e3", {"product_ids": b.ranking, "source": "recommender", "bandit": b.to_payload()}),
    ]
    rows = join_logs(shown, {"e1": {"clicked": True, "added_to_cart": True}})
    assert [r.reward for r in rows] == [pytest.approx(0.5), 0.0]
    assert rows[0].served == a
    assert ips(trained, rows).n == 2


def test_every_shown_position_logs_the_probability_it_was_drawn_with(shop: Shop) -> None:
    """The second card's propensity (given the first) matches how often it is served there."""
    policy = LinearThompson(seed=6)
    learn(shop, policy, 150, seed=6)
    rng = np.random.default_rng(2)
    ctx = {"segment": "loyal", "language": "zh"}
    served = [rank(policy, ctx, shop.products, rng, slots=3) for _ in range(2000)]
    assert all(len(s.propensities) == 3 and s.propensities[0] == s.propensity for s in served)
    first = max({s.chosen for s in served}, key=lambda p: sum(s.chosen == p for s in served))
    rows = [s for s in served if s.chosen == first]
    second = max({s.ranking[1] for s in rows}, key=lambda p: sum(s.ranking[1] == p for s in rows))
    frequency = np.mean([s.ranking[1] == second for s in rows])
    logged = np.mean([s.propensities[1] for s in rows if s.ranking[1] == second])
    assert logged == pytest.approx(frequency, abs=0.06)
    assert sum(served[0].distribution) == pytest.approx(1.0)


def test_a_list_observed_at_once_learns_what_one_position_at_a_time_does(shop: Shop) -> None:
    at_once, one_by_one = LinearThompson(), LinearThompson()
    pairs = [({"segment": "new", "slot": i + 1}, c) for i, c in enumerate(shop.products[:4])]
    at_once.observe(pairs)
    for context, candidate in pairs:
        one_by_one.update(context, candidate, 0.0)
    assert at_once.n == one_by_one.n == 4
    np.testing.assert_allclose(at_once.b, one_by_one.b)
    np.testing.assert_allclose(at_once._cov, np.linalg.inv(at_once.b), atol=1e-10)
    np.testing.assert_allclose(at_once.learnt.b, one_by_one.learnt.b)


def test_a_category_cap_shapes_the_drawn_positions_and_gives_way_when_nothing_else_is_left() -> None:
    mixed = [Candidate(f"A{i}", category="cases", score=1.0 - i / 10) for i in range(5)] + \
            [Candidate("B0", category="chargers", score=0.1)]
    rng = np.random.default_rng(0)
    policy = LinearThompson(score_prior=3.0)
    for _ in range(50):
        served = rank(policy, {"segment": "new"}, mixed, rng, slots=4, per_category=3)
        shown = served.ranking[:4]
        assert sum(p.startswith("A") for p in shown) == 3 and "B0" in shown  # at most 3 cases among 4
        assert len(served.propensities) == 4 and all(0 < p <= 1 for p in served.propensities)
    only_cases = mixed[:5]
    served = rank(policy, {"segment": "new"}, only_cases, rng, slots=4, per_category=3)
    assert len(set(served.ranking[:4])) == 4  # a fourth case rather than a short list


def test_a_deferred_covariance_refreshed_aside_keeps_what_arrived_meanwhile(shop: Shop) -> None:
    policy = LinearThompson()
    first = [({"segment": "new", "slot": 1}, c) for c in shop.products[:2]]
    later = [({"segment": "loyal", "slot": 1}, c) for c in shop.products[2:4]]
    policy.observe(first, defer=True)
    started = policy.refresh_start()
    assert started is not None and policy.deferred == 2
    policy.observe(later, defer=True)  # while the inverse is computed elsewhere
    assert policy.refresh_finish(started, np.linalg.inv(started[0]))
    assert policy.deferred == 2 and policy.refresh()  # the later two are still to come in
    np.testing.assert_allclose(policy._cov, np.linalg.inv(policy.b), atol=1e-10)
    policy.observe(first, defer=True)
    stale = policy.refresh_start()
    assert stale is not None
    policy.update({"segment": "new"}, shop.products[0], 1.0)  # the covariance moved on meanwhile
    assert not policy.refresh_finish(stale, np.linalg.inv(stale[0]))
