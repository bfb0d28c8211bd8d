"""The effect of running a campaign on daily orders and revenue, learnt from past campaigns with DoWhy.

Units are store days. Treatment: a campaign ran that day. Outcomes, in logs so an effect is a relative lift:
orders, log(1 + orders), and the order value, log(revenue / orders) on days with orders (revenue = orders x
order value: a 满减 brings more orders, and bigger or cheaper baskets; log revenue itself swings wildly on a small
store's days with one order or none). Common causes (what moves both the calendar of campaigns and sales):
weekday, trend, season (day of year as sine and cosine), festival. Effect modifiers: the offer's depth, threshold
and scope share (the linear estimator only uses them times the treatment). The estimator is
DoWhy's backdoor linear regression; the effect of a proposed offer is that model's effect for its modifiers.
Refutations: a placebo treatment (permuted: the effect should vanish), a random common cause and a data subset
(the effect should hold).
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from tools.marketing.forecast.series import DailyHistory, Offer, PastCampaign

MODIFIERS = ("depth", "threshold_k", "scope")
WEEKDAYS = tuple(f"wd{k}" for k in range(1, 7))
COMMON_CAUSES = (*WEEKDAYS, "trend", "season_sin", "season_cos", "festival")
OUTCOMES = {"orders": "log_orders", "basket": "log_order_value"}
MIN_CAMPAIGNS = 3
TOLERANCE = 0.25


@dataclass(frozen=True, slots=True)
class Refutation:
    method: str  # placebo_treatment_refuter | random_common_cause | data_subset_refuter
    estimate: float  # DoWhy's estimate: the effect of an average past campaign (log terms)
    new_effect: float  # the effect after the refutation's change
    p_value: float | None
    passed: bool  # placebo: the new effect is near 0; the others: it stays near the estimate


@dataclass(slots=True)
class UpliftModel:
    """Fitted effect models, one per outcome; `effect(offer, outcome)` is the lift in log terms."""

    estimators: dict[str, object]
    ate: dict[str, float]  # average effect over the campaign days (log terms)
    campaigns: int
    days: int
    refutations: dict[str, list[Refutation]] = field(default_factory=dict)

    def effect(self, offer: Offer, outcome: str, days: Sequence[date]) -> float:
        """The log lift a campaign with `offer` would have on the outcome, averaged over `days`."""
        import pandas as pd

        rows = [_day_row(d, 0, offer, 1.0, festival=False) for d in days]
        frame = pd.DataFrame(rows)
        frame["treated"] = True
        est = self.estimators[outcome].estimate_effect(data=frame, treatment_value=True, control_value=False,
                                                       need_conditional_estimates=False)
        return float(est.value)

    def lift(self, offer: Offer, outcome: str, days: Sequence[date]) -> float:
        """The relative lift: 0.25 means 25% more; outcome orders, basket (order value) or revenue (both)."""
        if outcome == "revenue":
            return math.expm1(self.effect(offer, "orders", days) + self.effect(offer, "basket", days))
        return math.expm1(self.effect(offer, outcome, days))


def _day_row(day: date, t: int, offer: Offer | None, trend: float, *, festival: bool) -> dict[str, float]:
    row: dict[str, float] = {f"wd{k}": float(day.weekday() == k) for k in range(1, 7)}
    angle = 2 * math.pi * day.timetuple().tm_yday / 365.25
    row |= {"trend": trend, "season_sin": math.sin(angle), "season_cos": math.cos(angle),
            "festival": float(festival)}
    mods = offer.modifiers() if offer is not None else dict.fromkeys(MODIFIERS, 0.0)
    return row | mods


def design(history: DailyHistory, campaigns: Sequence[PastCampaign]):  # -> pd.DataFrame
    """One row per day: outcomes, treatment, common causes, the running campaign's modifiers."""
    import pandas as pd

    running: dict[date, PastCampaign] = {}
    for c in campaigns:
        for d in c.days():
            running.setdefault(d, c)
    rows = []
    n = len(history.orders)
    for i, day in enumerate(history.days):
        c = running.get(day)
        row = _day_row(day, i, c.offer if c else None, i / 365, festival=bool(history.festival[i]))
        row |= {"treated": c is not None, "log_orders": math.log1p(history.orders[i]),
                "log_order_value": (math.log(history.revenue[i] / history.orders[i])
                                    if history.orders[i] > 0 and history.revenue[i] > 0 else math.nan)}
        rows.append(row)
    frame = pd.DataFrame(rows)
    treated = frame["treated"].astype(bool)
    if treated.any():
        # The estimator uses the modifiers only times the treatment, so their values on days without a campaign do
        # not change the fit; the campaigns' average there makes DoWhy's estimate (an average over every day, which
        # its refuters test) the effect of an average past campaign.
        for name in MODIFIERS:
            frame.loc[~treated, name] = frame.loc[treated, name].mean()
    frame.attrs["days"] = n
    return frame


def _dowhy():  # -> the CausalModel class
    """DoWhy's CausalModel, with two shims for dowhy 0.12 (the release that runs on the installed scipy: 0.13+
    pin scipy<=1.15.3): networkx 3.5 renamed `d_separated` to `is_d_separator`, and pandas 3 dropped positional
    `Series[0]`, which the regression estimators use on the fitted parameters (fit on an array instead)."""
    import networkx as nx
    import statsmodels.api as sm
    from dowhy.causal_estimators.linear_regression_estimator import LinearRegressionEstimator

    if not hasattr(nx.algorithms, "d_separated"):
        nx.algorithms.d_separated = nx.is_d_separator
        nx.d_separated = nx.is_d_separator
    if not getattr(LinearRegressionEstimator, "_kefu_array_fit", False):
        def _build_model(self, data):
            features = self._build_features(data)
            outcome = np.asarray(data[self._target_estimand.outcome_variable[0]], dtype=float)
            return features, sm.OLS(outcome, features).fit()

        LinearRegressionEstimator._build_model = _build_model
        LinearRegressionEstimator._kefu_array_fit = True
    from dowhy import CausalModel

    return CausalModel


def fit_uplift(history: DailyHistory, campaigns: Sequence[PastCampaign], *, refute: bool = False,
               simulations: int = 20, seed: int = 0) -> UpliftModel:
    """Fit the effect models for orders and order value on `history` and the campaigns that ran in it."""
    CausalModel = _dowhy()

    inside = [c for c in campaigns if c.first < history.end and c.last >= history.start]
    if len(inside) < MIN_CAMPAIGNS:
        raise ValueError(f"the uplift needs at least {MIN_CAMPAIGNS} past campaigns (got {len(inside)})")
    frame = design(history, inside)
    estimators: dict[str, object] = {}
    ate: dict[str, float] = {}
    refutations: dict[str, list[Refutation]] = {}
    quiet = logging.getLogger("dowhy")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    from threadpoolctl import threadpool_limits

    try:
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for outcome, column in OUTCOMES.items():
                data = frame.drop(columns=[c for c in OUTCOMES.values() if c != column]).dropna()
                data = data.reset_index(drop=True)
                model = CausalModel(data=data, treatment="treated", outcome=column,
                                    common_causes=list(COMMON_CAUSES), effect_modifiers=list(MODIFIERS))
                estimand = model.identify_effect(proceed_when_unidentifiable=True)
                estimate = model.estimate_effect(estimand, method_name="backdoor.linear_regression",
                                                 target_units="att", test_significance=False)
                estimators[outcome] = estimate.estimator
                on_treated = estimate.estimator.estimate_effect(data=data[data["treated"]], treatment_value=True,
                                                                control_value=False, need_conditional_estimates=False)
                ate[outcome] = float(on_treated.value)  # the modifiers are the campaigns' own on those days
                if refute:
                    refutations[outcome] = _refute(model, estimand, estimate, simulations, seed)
    finally:
        quiet.setLevel(level)
    return UpliftModel(estimators, ate, len(inside), len(frame), refutations)


def _refute(model, estimand, estimate, simulations: int, seed: int) -> list[Refutation]:
    np.random.seed(seed)  # DoWhy's refuters draw from numpy's global stream
    value = float(estimate.value)
    out = []
    for method, kwargs in (
        ("placebo_treatment_refuter", {"placebo_type": "permute"}),
        ("random_common_cause", {}),
        ("data_subset_refuter", {"subset_fraction": 0.8}),
    ):
        result = model.refute_estimate(estimand, estimate, method_name=method, num_simulations=simulations,
                                       random_seed=seed, **kwargs)
        new = float(result.new_effect)
        p = (result.refutation_result or {}).get("p_value") if hasattr(result, "refutation_result") else None
        # passed: the placebo's effect within a quarter of the estimate of 0, the others' within a quarter of the
        # estimate (DoWhy's p-value is reported beside it; it rests on the few simulations' spread)
        tolerance = max(TOLERANCE * abs(value), 0.02)
        passed = abs(new) < tolerance if method == "placebo_treatment_refuter" else abs(new - value) < tolerance
        out.append(Refutation(method, value, new, None if p is None else float(p), passed))
    return out
