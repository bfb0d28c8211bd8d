"""Churn risk: will a customer place no order in the next `horizon` days, read from their behaviour until now.

Features come only from what happened before the cut-off: orders (recency, frequency, spend, gaps and how overdue
the next order is), returns, complaints (reviews of 1-2 stars), the trend of their review ratings, chat messages,
and browsing (views, add-to-carts, how recent). The label is the absence of an order in the `horizon` days after the
cut-off. `evaluate` trains on monthly cut-offs whose labels are known before the held-back months start and scores
the held-back months, beside a recency-only baseline (the longer since the last order, the likelier the lapse);
`fit` trains on every known month and `at_risk` ranks today's customers. Plain rows in (`behaviour`), scikit-learn's
gradient boosting inside; nothing is read from disk.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from tools.marketing.insight.behaviour import CustomerHistory

DAY = timedelta(days=1)
HORIZON_DAYS = 60
STEP_DAYS = 30
HISTORY_DAYS = 365
TEST_MONTHS = 2
FEATURES = (
    "recency_days", "orders", "orders_90d", "orders_180d", "log_spend", "mean_gap_days", "last_gap_days",
    "overdue", "tenure_days", "returns_180d", "return_share", "complaints_90d", "complaints_180d", "last_rating",
    "rating_trend", "last_order_complaint", "messages_90d", "views_30d", "views_90d", "carts_30d",
    "days_since_view",
)


class NotEnoughHistory(ValueError):
    """Too few months or customers to train or test on (the message says what is missing)."""


def _count(times: Sequence[datetime], start: datetime, end: datetime) -> int:
    return sum(1 for t in times if start <= t < end)


def features(h: CustomerHistory, cutoff: datetime) -> list[float] | None:
    """The feature row of `h` at `cutoff` (FEATURES order), or None if they had no order before it."""
    orders = [o for o in h.orders if o.at < cutoff]
    if not orders:
        return None
    times = [o.at for o in orders]
    days = [(cutoff - t) / DAY for t in times]
    gaps = [(b - a) / DAY for a, b in itertools.pairwise(times)]
    recency = days[-1]
    mean_gap = sum(gaps) / len(gaps) if gaps else math.nan
    reviews = [r for r in h.reviews if r.at < cutoff]
    ratings = [r.rating for r in reviews if r.rating is not None]
    complaints = [r.at for r in reviews if r.rating is not None and r.rating <= 2]
    if len(ratings) > 2:  # the latest two against the ones before
        trend = sum(ratings[-2:]) / 2 - sum(ratings[:-2]) / len(ratings[:-2])
    else:
        trend = ratings[-1] - ratings[0] if len(ratings) == 2 else math.nan
    returns = [t for t in h.returns if t < cutoff]
    views = [t for t in h.views if t < cutoff]
    return [
        recency,
        float(len(orders)),
        float(_count(times, cutoff - 90 * DAY, cutoff)),
        float(_count(times, cutoff - 180 * DAY, cutoff)),
        math.log1p(sum(o.total for o in orders)),
        mean_gap,
        gaps[-1] if gaps else math.nan,
        recency / mean_gap if gaps and mean_gap > 0 else math.nan,
        days[0],
        float(_count(returns, cutoff - 180 * DAY, cutoff)),
        len(returns) / len(orders),
        float(_count(complaints, cutoff - 90 * DAY, cutoff)),
        float(_count(complaints, cutoff - 180 * DAY, cutoff)),
        float(ratings[-1]) if ratings else math.nan,
        trend,
        1.0 if complaints and complaints[-1] >= times[-1] else 0.0,
        float(_count([m.at for m in h.messages], cutoff - 90 * DAY, cutoff)),
        float(_count(views, cutoff - 30 * DAY, cutoff)),
        float(_count(views, cutoff - 90 * DAY, cutoff)),
        float(_count(h.carts, cutoff - 30 * DAY, cutoff)),
        (cutoff - views[-1]) / DAY if views else math.nan,
    ]


def lapsed(h: CustomerHistory, cutoff: datetime, horizon_days: int = HORIZON_DAYS) -> bool:
    """True if `h` placed no order in the `horizon_days` after `cutoff` (the churn label)."""
    end = cutoff + horizon_days * DAY
    return not any(cutoff <= o.at < end for o in h.orders)


@dataclass(frozen=True, slots=True)
class Sample:
    X: np.ndarray
    y: np.ndarray  # 1 = lapsed
    customers: list[str]
    cutoffs: list[datetime]

    @property
    def recency(self) -> np.ndarray:
        return self.X[:, 0]


def sample(histories: Sequence[CustomerHistory], cutoffs: Sequence[datetime],
           horizon_days: int = HORIZON_DAYS) -> Sample:
    rows, labels, who, when = [], [], [], []
    for cutoff in cutoffs:
        for h in histories:
            row = features(h, cutoff)
            if row is not None and row[0] <= HISTORY_DAYS:  # customers active in the past year
                rows.append(row)
                labels.append(1 if lapsed(h, cutoff, horizon_days) else 0)
                who.append(h.customer_id)
                when.append(cutoff)
    X = np.asarray(rows, dtype=float).reshape(len(rows), len(FEATURES))
    return Sample(X, np.asarray(labels, dtype=int), who, when)


def monthly_cutoffs(now: datetime, horizon_days: int = HORIZON_DAYS, *, first: datetime | None = None,
                    step_days: int = STEP_DAYS) -> list[datetime]:
    """Cut-offs every `step_days` back from the newest whose label is known (`now - horizon`), oldest first,
    not before `first` (the start of the data plus a quarter, so early cut-offs have some history)."""
    out = []
    t = now - horizon_days * DAY
    while first is None or t >= first:
        out.append(t)
        t -= step_days * DAY
        if len(out) > 60:
            break
    return sorted(out)


def _fitted(X: np.ndarray, y: np.ndarray) -> Any:
    """Gradient boosting on one thread: a few thousand rows fit in well under a second that way, while OpenMP
    threads fighting other work on a small machine make it many times slower."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    model = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=30,
                                           l2_regularization=1.0, random_state=0)
    with threadpool_limits(1):
        return model.fit(X, y)


def _predict(model: Any, X: np.ndarray) -> np.ndarray:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return model.predict_proba(X)[:, 1]


@dataclass(frozen=True, slots=True)
class ChurnEvaluation:
    horizon_days: int
    train_cutoffs: list[datetime]
    test_cutoffs: list[datetime]
    train_rows: int
    test_rows: int
    test_lapse_rate: float
    auc_model: float
    auc_recency: float

    def lines(self) -> list[str]:
        day = "%Y-%m-%d"
        return [
            f"churn = no order in the {self.horizon_days} days after a cut-off",
            f"train: {len(self.train_cutoffs)} monthly cut-offs {self.train_cutoffs[0]:{day}} .. "
            f"{self.train_cutoffs[-1]:{day}}, {self.train_rows} customer-months",
            f"test (held back): {len(self.test_cutoffs)} cut-offs "
            f"{', '.join(f'{t:{day}}' for t in self.test_cutoffs)}, {self.test_rows} customer-months, "
            f"{100 * self.test_lapse_rate:.1f}% lapsed",
            f"AUC model (gradient boosting, {len(FEATURES)} behaviour features): {self.auc_model:.3f}",
            f"AUC recency only (days since last order):               {self.auc_recency:.3f}",
        ]


def _start(histories: Sequence[CustomerHistory]) -> datetime:
    return min(o.at for h in histories for o in h.orders)


def evaluate(histories: Sequence[CustomerHistory], now: datetime, *, horizon_days: int = HORIZON_DAYS,
             test_months: int = TEST_MONTHS) -> ChurnEvaluation:
    """Train on early months, test on the last `test_months` cut-offs; no training label looks into them."""
    from sklearn.metrics import roc_auc_score

    if not any(h.orders for h in histories):
        raise NotEnoughHistory("no customer has an order")
    cutoffs = monthly_cutoffs(now, horizon_days, first=_start(histories) + 90 * DAY)
    test = cutoffs[-test_months:]
    train = [t for t in cutoffs if t + horizon_days * DAY <= test[0]]
    if len(train) < 2 or not test:
        raise NotEnoughHistory(f"need at least {test_months + 2 + horizon_days // STEP_DAYS} months of orders "
                               f"(have cut-offs {len(cutoffs)})")
    tr, te = sample(histories, train, horizon_days), sample(histories, test, horizon_days)
    if len(set(tr.y)) < 2 or len(set(te.y)) < 2:
        raise NotEnoughHistory("every customer lapsed, or none did, in the train or test months")
    auc = float(roc_auc_score(te.y, _predict(_fitted(tr.X, tr.y), te.X)))
    return ChurnEvaluation(horizon_days, train, test, len(tr.y), len(te.y), float(te.y.mean()), auc,
                           float(roc_auc_score(te.y, te.recency)))


@dataclass(frozen=True, slots=True)
class Risk:
    customer_id: str
    risk: float
    features: dict[str, float]
    reasons: list[dict[str, Any]]


class ChurnModel:
    """A model trained on every month whose label is known; scores customers at any cut-off."""

    def __init__(self, model: Any, horizon_days: int, trained_on: int) -> None:
        self.model = model
        self.horizon_days = horizon_days
        self.trained_on = trained_on

    def score(self, histories: Sequence[CustomerHistory], at: datetime) -> list[Risk]:
        """Customers who ordered in the past year, riskiest first."""
        s = sample(histories, [at], self.horizon_days)
        if not len(s.y):
            return []
        p = _predict(self.model, s.X)
        out = [Risk(c, float(r), dict(zip(FEATURES, map(float, x), strict=True)), reasons(dict(zip(FEATURES, x,
                                                                                            strict=True))))
               for c, r, x in zip(s.customers, p, s.X, strict=True)]
        return sorted(out, key=lambda r: (-r.risk, r.customer_id))


def fit(histories: Sequence[CustomerHistory], now: datetime, *, horizon_days: int = HORIZON_DAYS) -> ChurnModel:
    if not any(h.orders for h in histories):
        raise NotEnoughHistory("no customer has an order")
    s = sample(histories, monthly_cutoffs(now, horizon_days, first=_start(histories) + 90 * DAY), horizon_days)
    if len(set(s.y)) < 2:
        raise NotEnoughHistory("every customer lapsed, or none did, in the known months")
    return ChurnModel(_fitted(s.X, s.y), horizon_days, len(s.y))


def reasons(f: dict[str, float]) -> list[dict[str, Any]]:
    """What in the behaviour a marketer should look at, as codes and values (the console words them)."""
    out: list[dict[str, Any]] = []
    if not math.isnan(f["overdue"]) and f["overdue"] >= 1.5:
        out.append({"code": "overdue", "days": round(f["recency_days"]), "usual_gap": round(f["mean_gap_days"])})
    elif f["orders"] == 1 and f["recency_days"] >= 60:
        out.append({"code": "one_order", "days": round(f["recency_days"])})
    if f["complaints_180d"]:
        out.append({"code": "complaints", "count": int(f["complaints_180d"])})
    if f["returns_180d"]:
        out.append({"code": "returns", "count": int(f["returns_180d"])})
    if not math.isnan(f["rating_trend"]) and f["rating_trend"] <= -1.5:
        out.append({"code": "ratings_falling", "by": round(-f["rating_trend"], 1)})
    if f["views_90d"] == 0:
        out.append({"code": "not_browsing"})
    return out
