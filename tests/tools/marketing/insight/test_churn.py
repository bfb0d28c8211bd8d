"""Churn risk on a simulated shop where complaints and silence precede lapses: the label looks only forward, the
features only back, and the model beats recency alone on held-back months; the reasons say what a marketer sees."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from tools.marketing.insight.behaviour import CustomerHistory, OrderFact, TextFact
from tools.marketing.insight.churn import FEATURES, NotEnoughHistory, evaluate, features, fit, lapsed, reasons

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 20, tzinfo=UTC)
DAY = timedelta(days=1)


def _shop(seed: int = 3, customers: int = 160) -> list[CustomerHistory]:
    """Customers order every ~`gap` days; after an order they are unhappy with (a 1-star review) they lapse for
    months more often than not, and browse less while away."""
    rng = random.Random(seed)
    out = []
    for i in range(customers):
        h = CustomerHistory(f"c{i}")
        gap = rng.uniform(15, 60)
        t = NOW - 400 * DAY + rng.uniform(0, 60) * DAY
        while t < NOW:
            h.orders.append(OrderFact(t, 100.0, ("phone",), (0.5,)))
            unhappy = rng.random() < 0.25
            if rng.random() < 0.6 or unhappy:
                h.reviews.append(TextFact(t + 3 * DAY, "太差了" if unhappy else "很好", "zh", 1 if unhappy else 5))
            away = rng.uniform(90, 200) if unhappy and rng.random() < 0.7 else rng.expovariate(1 / gap)
            for _ in range(int(away / 20) if not unhappy else 0):
                h.views.append(t + rng.uniform(1, away) * DAY)
            t += away * DAY
        out.append(h.sort())
    return out


def test_features_look_back_and_the_label_looks_forward() -> None:
    h = CustomerHistory("c", orders=[OrderFact(NOW - 100 * DAY, 50.0), OrderFact(NOW - 40 * DAY, 70.0),
                                     OrderFact(NOW + 10 * DAY, 90.0)],
                        reviews=[TextFact(NOW - 35 * DAY, "坏了", "zh", 1)], returns=[NOW - 30 * DAY]).sort()
    row = dict(zip(FEATURES, features(h, NOW), strict=True))
    assert row["recency_days"] == 40 and row["orders"] == 2 and row["mean_gap_days"] == 60
    assert row["complaints_90d"] == 1 and row["last_order_complaint"] == 1 and row["returns_180d"] == 1
    assert features(h, NOW - 200 * DAY) is None  # no order yet
    assert not lapsed(h, NOW, 30) and lapsed(h, NOW, 5)
    assert {r["code"] for r in reasons(row)} >= {"complaints", "returns"}


def test_model_beats_recency_on_held_back_months() -> None:
    result = evaluate(_shop(), NOW, horizon_days=60, test_months=2)
    assert result.test_rows > 100 and 0.1 < result.test_lapse_rate < 0.9
    assert result.train_cutoffs[-1] + 60 * DAY <= result.test_cutoffs[0]  # no training label sees the test months
    assert result.auc_model > result.auc_recency + 0.05, result.lines()
    assert "AUC recency only" in "\n".join(result.lines())


def test_at_risk_ranks_the_unhappy_and_silent_first() -> None:
    shop = _shop()
    model = fit(shop, NOW)
    fresh = CustomerHistory("happy", orders=[OrderFact(NOW - d * DAY, 100.0) for d in (100, 70, 40, 12)],
                            reviews=[TextFact(NOW - 9 * DAY, "很好", "zh", 5)], views=[NOW - 2 * DAY]).sort()
    upset = CustomerHistory("upset", orders=[OrderFact(NOW - d * DAY, 100.0) for d in (100, 70, 40, 12)],
                            reviews=[TextFact(NOW - 9 * DAY, "太差了", "zh", 1)]).sort()
    ranked = model.score([fresh, upset], NOW)
    assert [r.customer_id for r in ranked] == ["upset", "happy"]
    assert ranked[0].risk > ranked[1].risk
    assert any(r["code"] == "complaints" for r in ranked[0].reasons)


def test_too_little_history_is_said_plainly() -> None:
    with pytest.raises(NotEnoughHistory):
        evaluate([CustomerHistory("c")], NOW)
