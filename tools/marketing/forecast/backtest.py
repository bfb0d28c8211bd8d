"""Backtest: forecast held-back past campaigns from the history before each one (the campaign itself and every
later one unseen) and compare the window's actual orders and revenue with the forecast and with seasonal naive.

Errors are MAPE over the window's days, and the error of the window's total (what a marketer plans with).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tools.marketing.forecast.baseline import seasonal_naive
from tools.marketing.forecast.forecast import forecast_campaign
from tools.marketing.forecast.series import DailyHistory, PastCampaign

HELD_BACK = 4


@dataclass(frozen=True, slots=True)
class HeldBack:
    campaign_id: str
    days: int
    actual: dict[str, float]  # outcome -> window total
    forecast: dict[str, float]
    naive: dict[str, float]
    baseline: dict[str, float]  # the forecast without the campaign's lift
    mape: dict[str, dict[str, float]]  # method -> outcome -> MAPE over the days


@dataclass(frozen=True, slots=True)
class Backtest:
    held_back: list[HeldBack]

    def mean_mape(self, method: str, outcome: str) -> float:
        return float(np.mean([h.mape[method][outcome] for h in self.held_back]))

    def total_error(self, method: str, outcome: str) -> float:
        """Mean absolute error of the window total, relative to the actual total."""
        pick = {"forecast": "forecast", "naive": "naive", "baseline": "baseline"}[method]
        return float(np.mean([abs(getattr(h, pick)[outcome] - h.actual[outcome]) / h.actual[outcome]
                              for h in self.held_back]))


def _mape(predicted: np.ndarray, actual: np.ndarray) -> float:
    keep = actual > 0
    return float(np.mean(np.abs(predicted[keep] - actual[keep]) / actual[keep]))


def backtest(history: DailyHistory, campaigns: Sequence[PastCampaign], *, held_back: int = HELD_BACK) -> Backtest:
    """Forecast the last `held_back` non-festival campaigns, each from the days before it."""
    candidates = [c for c in campaigns if not c.festival and c.last < history.end]
    out = []
    for target in candidates[-held_back:]:
        before = history.until(target.first)
        seen = [c for c in campaigns if c.last < target.first]
        n = (target.last - target.first).days + 1
        fc = forecast_campaign(before, seen, target.offer, target.first, n)
        lo = history.index(target.first)
        actual = {"orders": history.orders[lo:lo + n], "revenue": history.revenue[lo:lo + n]}
        predicted = {"orders": np.array([d.orders_with for d in fc.days]),
                     "revenue": np.array([d.revenue_with for d in fc.days])}
        base = {"orders": np.array([d.orders_without for d in fc.days]),
                "revenue": np.array([d.revenue_without for d in fc.days])}
        naive = {k: seasonal_naive(getattr(before, k), n) for k in ("orders", "revenue")}
        out.append(HeldBack(
            target.id, n, {k: float(v.sum()) for k, v in actual.items()},
            {k: float(v.sum()) for k, v in predicted.items()}, {k: float(v.sum()) for k, v in naive.items()},
            {k: float(v.sum()) for k, v in base.items()},
            {m: {k: _mape(p[k], actual[k]) for k in actual} for m, p in
             (("forecast", predicted), ("naive", naive), ("baseline", base))},
        ))
    if not out:
        raise ValueError("no past campaign to hold back")
    return Backtest(out)
