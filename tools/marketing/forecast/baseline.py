"""The no-campaign forecast of a daily series, and the seasonal-naive yardstick it must beat.

`sarimax_baseline`: SARIMAX(0,1,1) on log(1 + y) (a local level that drifts with the trend), the weekly
seasonality as weekday regressors and the festival flag as one more. On the demo store's daily series it fits
better by AIC than a seasonal AR term with a linear trend, and in a second instead of tens. Days a campaign ran
are masked (the Kalman filter skips them), so the baseline is what the store does when nothing runs.
`seasonal_naive`: each future day is the last observed value on the same weekday.
"""

from __future__ import annotations

import warnings

import numpy as np

WEEK = 7
MIN_DAYS = 4 * WEEK


def seasonal_naive(y: np.ndarray, horizon: int) -> np.ndarray:
    """The same weekday last week (then the week before, for horizons past a week)."""
    if len(y) < WEEK:
        raise ValueError(f"seasonal naive needs at least {WEEK} days")
    last_week = y[-WEEK:]
    return np.array([last_week[k % WEEK] for k in range(horizon)], dtype=float)


def _regressors(weekdays: np.ndarray, festival: np.ndarray) -> np.ndarray:
    dummies = np.array([[w == k for k in range(1, WEEK)] for w in weekdays], dtype=float).reshape(-1, WEEK - 1)
    return np.column_stack([dummies, np.asarray(festival, dtype=float)])


def sarimax_baseline(y: np.ndarray, masked: np.ndarray, weekdays: np.ndarray, festival: np.ndarray,
                     future_weekdays: np.ndarray, future_festival: np.ndarray) -> np.ndarray:
    """The expected value of each future day (`future_weekdays`: 0 = Monday) with no campaign running."""
    from statsmodels.tools.sm_exceptions import ConvergenceWarning
    from statsmodels.tsa.statespace.sarimax import SARIMAX
    from threadpoolctl import threadpool_limits

    if len(y) < MIN_DAYS:
        raise ValueError(f"the baseline needs at least {MIN_DAYS} days of history (got {len(y)})")
    logged = np.log1p(np.asarray(y, dtype=float))
    logged[np.asarray(masked, dtype=bool)] = np.nan
    exog = _regressors(weekdays, festival)
    future = _regressors(future_weekdays, future_festival)
    if not exog[:, -1].any():  # no festival in the history: nothing to learn its factor from
        exog, future = exog[:, :-1], future[:, :-1]
    model = SARIMAX(logged, exog=exog, order=(0, 1, 1))
    # small matrices: BLAS threads only contend (tens of seconds instead of one on a shared machine)
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        fit = model.fit(disp=False, maxiter=200)
    forecast = fit.get_forecast(len(future), exog=future)
    mean = np.asarray(forecast.predicted_mean)
    sigma2 = float(fit.params[-1])  # the innovations' variance: exp(mean + var/2) is the mean of a log-normal
    return np.maximum(np.expm1(mean + sigma2 / 2), 0.0)
