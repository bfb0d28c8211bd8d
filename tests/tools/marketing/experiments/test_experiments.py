"""Experiments: validation, stratified assignment (stable, balanced within strata), and a readout whose 95%
interval covers a known uplift in at least 90 of 100 simulated experiments."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from pydantic import ValidationError

from tools.marketing.experiments import (
    Assignment,
    Conversion,
    ExperimentSpec,
    arm_by_block,
    arm_by_hash,
    readout,
    stratum_of,
)
from tools.marketing.experiments import stats as st

pytestmark = pytest.mark.unit

T0 = datetime(2026, 6, 1, tzinfo=UTC)


def spec(**over) -> ExperimentSpec:
    data = {"name": "618 threshold test", "campaign_id": "c618", "metric": "claimed",
            "arms": [{"key": "control"}, {"key": "low", "threshold": 280}],
            "starts_at": T0.isoformat(), "ends_at": (T0 + timedelta(days=30)).isoformat()}
    return ExperimentSpec.model_validate({**data, **over})


def test_a_bad_experiment_is_refused_with_what_to_fix() -> None:
    for over, words in (({"arms": [{"key": "a"}]}, "at least 2"),
                        ({"arms": [{"key": "a"}, {"key": "a", "variant": "v"}]}, "own key"),
                        ({"arms": [{"key": "a"}, {"key": "b"}]}, "must differ"),
                        ({"ends_at": T0.isoformat()}, "after starts_at"),
                        ({"metric": "clicks"}, "metric"),
                        ({"min_detectable_effect": 3}, "below 1")):
        with pytest.raises(ValidationError) as err:
            spec(**over)
        assert words in str(err.value), (over, str(err.value))


def test_strata() -> None:
    assert stratum_of({"returning", "gold"}, ["segment", "tier"]) == "returning|gold"
    assert stratum_of({"new_customer", "regular"}, ["segment"]) == "new_customer"
    assert stratum_of(None, ["segment", "tier"]) == "anonymous"
    assert stratum_of({"returning", "gold"}, []) == "all"


def test_block_assignment_is_balanced_within_every_stratum_and_reproducible() -> None:
    s = spec(arms=[{"key": "a", "weight": 2}, {"key": "b", "weight": 1, "variant": "v2"},
                   {"key": "c", "weight": 1, "threshold": 280}])
    for stratum, n in (("returning|gold", 37), ("new_customer|regular", 400)):
        arms = [arm_by_block(s, "x1", stratum, i).key for i in range(n)]
        counts = Counter(arms)
        # within one block (4 customers) of the 2:1:1 split, whatever n
        assert abs(counts["a"] - n / 2) <= 2 and abs(counts["b"] - n / 4) <= 1.5 and abs(counts["c"] - n / 4) <= 1.5
        assert arms == [arm_by_block(s, "x1", stratum, i).key for i in range(n)]
    other = [arm_by_block(s, "x2", "returning|gold", i).key for i in range(40)]
    assert other != [arm_by_block(s, "x1", "returning|gold", i).key for i in range(40)]  # per experiment


def test_hash_assignment_is_stable_and_follows_the_split() -> None:
    s = spec(arms=[{"key": "a", "weight": 9}, {"key": "b", "weight": 1, "variant": "v"}])
    arms = [arm_by_hash(s, "x1", "returning|gold", f"C{i:05d}").key for i in range(5000)]
    assert arms == [arm_by_hash(s, "x1", "returning|gold", f"C{i:05d}").key for i in range(5000)]
    assert abs(arms.count("b") / 5000 - 0.1) < 0.015


def test_readout_of_a_small_experiment() -> None:
    s = spec()
    assignments = [Assignment(f"C{i}", "control" if i % 2 else "low", "returning|gold" if i % 3 else "new|regular",
                              T0 + timedelta(hours=i)) for i in range(200)]
    converted = [a for a in assignments if (a.arm == "low" and int(a.customer_id[1:]) % 4 == 0)
                 or (a.arm == "control" and int(a.customer_id[1:]) % 10 == 1)]
    conversions = [Conversion(a.customer_id, a.at + timedelta(hours=1)) for a in converted]
    conversions.append(Conversion("C1", T0 - timedelta(days=1)))  # before assignment: not counted
    r = readout(s, assignments, conversions, until=T0 + timedelta(days=30))
    control, low = r.arms
    assert (control.customers, control.conversions, low.customers, low.conversions) == (100, 20, 100, 50)
    (c,) = r.comparisons
    assert c.absolute == pytest.approx(0.3) and c.absolute_low < 0.3 < c.absolute_high
    assert c.relative == pytest.approx(1.5) and c.p_value < 1e-3 and c.significant
    assert c.needed_per_arm is not None and c.needed_per_arm < 100
    assert {row.stratum for row in r.strata} == {"returning|gold", "new|regular"}
    assert sum(a.customers for row in r.strata for a in row.arms) == 200
    assert "significant" in r.note["en"] and "显著" in r.note["zh"]


def test_sample_size_matches_the_textbook_figure() -> None:
    # 10% → 12% at 5% two-sided and 80% power: about 3,841 per arm (Fleiss, without continuity correction)
    assert 3800 <= st.n_for_proportions(0.10, 0.12) <= 3900
    assert st.n_for_means(sd=50, delta=5) == 1570


def test_revenue_readout_uses_revenue_per_customer() -> None:
    s = spec(metric="revenue")
    assignments = [Assignment(f"C{i}", "control" if i % 2 else "low", "all", T0) for i in range(400)]
    rng = np.random.default_rng(1)
    conversions = [Conversion(a.customer_id, T0 + timedelta(days=1),
                              float(rng.gamma(2, 150 if a.arm == "low" else 100)))
                   for a in assignments if rng.random() < 0.3]
    r = readout(s, assignments, conversions, until=T0 + timedelta(days=30))
    (c,) = r.comparisons
    assert r.arms[1].revenue_per_customer > r.arms[0].revenue_per_customer
    assert c.absolute_low < c.absolute < c.absolute_high and c.p_value is not None


@pytest.mark.parametrize("p0, uplift, n", [(0.10, 0.03, 2000), (0.04, 0.02, 1500), (0.30, -0.05, 800)])
def test_the_95_interval_covers_a_known_uplift_in_at_least_90_of_100_runs(p0: float, uplift: float, n: int) -> None:
    """100 seeded experiments at once (vectorised counts), each read out as the API would."""
    rng = np.random.default_rng(2026)
    x0 = rng.binomial(n, p0, size=100)
    x1 = rng.binomial(n, p0 + uplift, size=100)
    d, low, high = st.newcombe(x1, n, x0, n)
    covered = (low <= uplift) & (uplift <= high)
    assert covered.sum() >= 90, covered.sum()
    _, rlow, rhigh = st.ratio(x1, n, x0, n)
    true_rel = uplift / p0
    assert ((rlow <= true_rel) & (true_rel <= rhigh)).sum() >= 90
    # the same through the readout itself, for ten of the runs (counts turned into customers)
    s = spec()
    for run in range(10):
        assignments = [Assignment(f"A{i}", "control", "all", T0) for i in range(n)]
        assignments += [Assignment(f"B{i}", "low", "all", T0) for i in range(n)]
        conversions = [Conversion(f"A{i}", T0) for i in range(x0[run])]
        conversions += [Conversion(f"B{i}", T0) for i in range(x1[run])]
        (c,) = readout(s, assignments, conversions, until=T0 + timedelta(days=1)).comparisons
        assert c.absolute == pytest.approx(d[run]) and c.absolute_low == pytest.approx(low[run])
