"""Churn risk measured on a demo store (`kefu eval churn`, and a part of `kefu eval`): the model's AUC on held-back
months beside the recency-only baseline (`tools.marketing.insight.churn.evaluate`).

Without a database URL it builds a fresh full-size demo store (1,000 customers, 10,000 orders, seed 7) in a
temporary SQLite file, dated `as_of`, so the figures are reproducible from the command alone.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, time
from pathlib import Path

from server.db.behaviour import load_histories
from server.db.engine import make_engine, make_session_factory
from tools.marketing.insight.churn import HORIZON_DAYS, TEST_MONTHS, ChurnEvaluation, evaluate

DEMO_AS_OF = date(2026, 11, 20)


def churn_on(url: str, now: datetime, *, horizon_days: int = HORIZON_DAYS,
             test_months: int = TEST_MONTHS) -> ChurnEvaluation:
    engine = make_engine(url)
    try:
        histories = load_histories(make_session_factory(engine), until=now)
    finally:
        engine.dispose()
    return evaluate(list(histories.values()), now, horizon_days=horizon_days, test_months=test_months)


def churn_on_demo(*, seed: int = 7, as_of: date = DEMO_AS_OF, customers: int = 1000, orders: int = 10000,
                  horizon_days: int = HORIZON_DAYS, test_months: int = TEST_MONTHS) -> ChurnEvaluation:
    from server.demo.build import build_demo_store

    with tempfile.TemporaryDirectory(prefix="kefu-churn-") as folder:
        url = f"sqlite:///{Path(folder) / 'store.db'}"
        build_demo_store(url, seed=seed, as_of=as_of, customers=customers, orders=orders)
        return churn_on(url, datetime.combine(as_of, time(0), UTC), horizon_days=horizon_days,
                        test_months=test_months)
