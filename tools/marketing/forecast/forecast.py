"""A proposed campaign's forecast: per day of its window, orders and revenue without it (SARIMAX baselines of
orders and of order value; revenue is their product) and with it (times the lifts DoWhy learnt from past
campaigns, for this offer's terms, on orders and on order value)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from tools.marketing.forecast.baseline import sarimax_baseline
from tools.marketing.forecast.series import DailyHistory, Offer, PastCampaign, is_festival
from tools.marketing.forecast.uplift import Refutation, UpliftModel, fit_uplift

MAX_DAYS = 60


@dataclass(frozen=True, slots=True)
class DayForecast:
    day: date
    orders_without: float
    orders_with: float
    revenue_without: float
    revenue_with: float


@dataclass(frozen=True, slots=True)
class CampaignForecast:
    offer: Offer
    start: date
    days: list[DayForecast]
    orders_lift: float  # relative: 0.3 = 30% more orders than without the campaign
    revenue_lift: float
    history_days: int
    campaigns_learnt: int  # past campaigns the lift was learnt from
    refutations: dict[str, list[Refutation]] = field(default_factory=dict)

    def total(self, name: str) -> float:
        return float(sum(getattr(d, name) for d in self.days))


def campaign_days(campaigns: Sequence[PastCampaign]) -> set[date]:
    return {d for c in campaigns for d in c.days()}


def baseline_window(history: DailyHistory, campaigns: Sequence[PastCampaign], start: date, days: int,
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Orders and revenue per day of the window with no campaign; the history must end before `start`."""
    if start < history.end:
        raise ValueError(f"the window must start after the history ends ({history.end})")
    running = campaign_days(campaigns)
    masked = np.array([d in running and not is_festival(d) for d in history.days])
    gap = (start - history.end).days
    future = [history.end + timedelta(days=k) for k in range(gap + days)]
    festival = np.array([is_festival(d) for d in future])
    weekdays = np.array([d.weekday() for d in history.days])
    ahead = np.array([d.weekday() for d in future])
    orders = sarimax_baseline(history.orders, masked, weekdays, history.festival, ahead, festival)[gap:]
    value = np.divide(history.revenue, history.orders, out=np.zeros(len(history.orders)), where=history.orders > 0)
    basket = sarimax_baseline(value, masked | (history.orders == 0), weekdays, history.festival, ahead, festival)
    return orders, orders * basket[gap:]


def forecast_campaign(history: DailyHistory, campaigns: Sequence[PastCampaign], offer: Offer, start: date,
                      days: int, *, uplift: UpliftModel | None = None) -> CampaignForecast:
    """The forecast of `offer` running `days` days from `start` (after the history's last day). `uplift`: a model
    already fitted on this history (fitted here when None)."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"a campaign window is 1 to {MAX_DAYS} days (got {days})")
    model = uplift or fit_uplift(history, campaigns)
    orders, revenue = baseline_window(history, campaigns, start, days)
    window = [start + timedelta(days=k) for k in range(days)]
    orders_effect = model.effect(offer, "orders", window)
    revenue_effect = orders_effect + model.effect(offer, "basket", window)
    out = [DayForecast(d, float(o), float(o * math.exp(orders_effect)), float(r), float(r * math.exp(revenue_effect)))
           for d, o, r in zip(window, orders, revenue, strict=True)]
    return CampaignForecast(offer, start, out, math.expm1(orders_effect), math.expm1(revenue_effect),
                            len(history.orders), model.campaigns, model.refutations)
