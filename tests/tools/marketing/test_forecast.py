"""The campaign forecast on plain arrays: a synthetic store with weekday seasonality, a trend, noise and past
campaigns whose lift grows with their depth. The forecast learns that a deeper offer lifts more, forecasts more
orders with a campaign than without, beats seasonal naive on held-back campaigns, and reports DoWhy's
refutations; a marketer's words become the offer they name."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from tools.marketing.forecast.backtest import backtest
from tools.marketing.forecast.baseline import seasonal_naive
from tools.marketing.forecast.forecast import forecast_campaign
from tools.marketing.forecast.series import DailyHistory, Offer, PastCampaign
from tools.marketing.forecast.uplift import UpliftModel, fit_uplift
from tools.marketing.forecast.words import proposed_offer

pytestmark = pytest.mark.unit

START = date(2025, 7, 1)
DAYS = 300
WEEKDAY = (1.0, 0.95, 0.95, 1.0, 1.1, 1.3, 1.25)
OFFERS = [Offer("full_reduction", 30, 300), Offer("full_reduction", 60, 300), Offer("percent_off", 10),
          Offer("full_reduction", 100, 1000), Offer("percent_off", 20), Offer("full_reduction", 50, 500),
          Offer("full_reduction", 40, 200), Offer("percent_off", 15), Offer("full_reduction", 150, 1000),
          Offer("full_reduction", 50, 300), Offer("percent_off", 10, scope_share=0.3),
          Offer("full_reduction", 80, 400)]


def planted(offer: Offer) -> float:
    return 2.5 * offer.depth * offer.scope_share


@pytest.fixture(scope="module")
def store() -> tuple[DailyHistory, list[PastCampaign]]:
    rng = np.random.default_rng(3)
    campaigns = [PastCampaign(f"c{n}", offer, START + timedelta(days=20 + 23 * n),
                              START + timedelta(days=20 + 23 * n + 4)) for n, offer in enumerate(OFFERS)]
    lift = np.ones(DAYS)
    for c in campaigns:
        for d in c.days():
            lift[(d - START).days] = 1 + planted(c.offer)
    days = [START + timedelta(days=k) for k in range(DAYS)]
    rate = np.array([40 * WEEKDAY[d.weekday()] * (1 + 0.3 * k / DAYS) for k, d in enumerate(days)]) * lift
    orders = rng.poisson(rate).astype(float)
    value = np.array([400 * (0.93 if lift[k] > 1 else 1.0) for k in range(DAYS)])
    revenue = np.array([rng.gamma(max(n, 1) * 4, value[k] / 4) if n else 0.0 for k, n in enumerate(orders)])
    return DailyHistory(START, orders, revenue, np.zeros(DAYS, dtype=bool)), campaigns


@pytest.fixture(scope="module")
def model(store) -> UpliftModel:
    history, campaigns = store
    return fit_uplift(history, campaigns, refute=True, simulations=2)


def test_deeper_offers_lift_orders_more(store, model: UpliftModel) -> None:
    window = [START + timedelta(days=DAYS + k) for k in range(7)]
    shallow = model.lift(Offer("full_reduction", 20, 300), "orders", window)
    deep = model.lift(Offer("full_reduction", 80, 300), "orders", window)
    narrow = model.lift(Offer("full_reduction", 80, 300, scope_share=0.2), "orders", window)
    assert 0 < shallow < deep and narrow < deep
    # 满300减50 planted at +42%: learnt within reach of it
    assert model.lift(Offer("full_reduction", 50, 300), "orders", window) == pytest.approx(0.42, abs=0.15)
    assert model.campaigns == len(OFFERS) and model.ate["orders"] > 0.2


def test_forecast_with_and_without_the_campaign(store, model: UpliftModel) -> None:
    history, campaigns = store
    start = history.end + timedelta(days=1)
    fc = forecast_campaign(history, campaigns, Offer("full_reduction", 50, 300), start, 10, uplift=model)
    assert [d.day for d in fc.days] == [start + timedelta(days=k) for k in range(10)]
    without = fc.total("orders_without")
    assert 40 * 1.25 * 10 < without < 40 * 1.45 * 10  # the trend's level by the end, weekdays averaged
    assert fc.total("orders_with") == pytest.approx(without * (1 + fc.orders_lift))
    assert fc.total("revenue_with") > fc.total("revenue_without") > 0
    saturday = next(d for d in fc.days if d.day.weekday() == 5)
    tuesday = next(d for d in fc.days if d.day.weekday() == 1)
    assert saturday.orders_without > tuesday.orders_without  # weekly seasonality kept
    with pytest.raises(ValueError, match="after the history"):
        forecast_campaign(history, campaigns, Offer("percent_off", 10), history.end - timedelta(days=3), 5,
                          uplift=model)


def test_refutations_are_reported(model: UpliftModel) -> None:
    for outcome in ("orders", "basket"):
        got = {r.method: r for r in model.refutations[outcome]}
        assert set(got) == {"placebo_treatment_refuter", "random_common_cause", "data_subset_refuter"}
    placebo = {r.method: r for r in model.refutations["orders"]}["placebo_treatment_refuter"]
    assert abs(placebo.new_effect) < abs(placebo.estimate) / 2  # a permuted treatment has next to no effect
    common = {r.method: r for r in model.refutations["orders"]}["random_common_cause"]
    assert common.new_effect == pytest.approx(common.estimate, abs=0.05) and common.passed


def test_backtest_beats_seasonal_naive(store) -> None:
    history, campaigns = store
    result = backtest(history, campaigns, held_back=3)
    assert [h.campaign_id for h in result.held_back] == ["c9", "c10", "c11"]
    assert result.mean_mape("forecast", "orders") < result.mean_mape("naive", "orders")
    assert result.total_error("forecast", "orders") < result.total_error("naive", "orders")
    assert result.mean_mape("forecast", "orders") < result.mean_mape("baseline", "orders")  # the uplift helps


def test_seasonal_naive_repeats_last_week() -> None:
    y = np.arange(14, dtype=float)
    assert list(seasonal_naive(y, 9)) == [7, 8, 9, 10, 11, 12, 13, 7, 8]


@pytest.mark.parametrize(("text", "kind", "discount", "threshold", "days"), [
    ("预测一下满300减50的效果", "full_reduction", 50, 300, None),
    ("forecast a spend 300 save 50 campaign", "full_reduction", 50, 300, None),
    ("what would 50 off orders over 300 do for 10 days", "full_reduction", 50, 300, 10),
    ("预估满三百减五十跑两周", "full_reduction", 50, 300, 14),
    ("打8折跑10天会怎样", "percent_off", 20, None, 10),
    ("predict 15% off for a week", "percent_off", 15, None, 7),
])
def test_words_name_the_offer(text: str, kind: str, discount: float, threshold: float | None,
                              days: int | None) -> None:
    offer = proposed_offer(text)
    assert offer is not None and (offer.kind, offer.discount, offer.threshold, offer.days) == (
        kind, discount, threshold, days)


def test_words_without_an_offer() -> None:
    assert proposed_offer("how is 618 doing") is None
    assert proposed_offer("预测一下效果") is None
