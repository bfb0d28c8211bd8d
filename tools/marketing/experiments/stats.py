"""Interval arithmetic of the readout, vectorised (numpy arrays or scalars in, arrays out), so a simulation can
check coverage over many runs at once.

Proportions: Wilson score intervals per arm; the difference (treatment − control) by Newcombe's hybrid score
method (his method 10: well-behaved near 0 and 1 and for small counts, unlike the Wald interval); the ratio by
the log method (Katz); the p-value by the pooled two-proportion z test. Means (revenue per customer): Welch's t.
Sample size per arm for a two-sided test at level `alpha` with power `power`.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

ArrayLike = np.ndarray | float | int


def _z(alpha: float) -> float:
    return float(stats.norm.ppf(1 - alpha / 2))


def wilson(x: ArrayLike, n: ArrayLike, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of x/n (n > 0)."""
    x, n = np.asarray(x, dtype=float), np.asarray(n, dtype=float)
    z = _z(alpha)
    p = x / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def newcombe(x1: ArrayLike, n1: ArrayLike, x0: ArrayLike, n0: ArrayLike,
             alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p1 − p0 and its interval (Newcombe's hybrid score method)."""
    p1 = np.asarray(x1, dtype=float) / np.asarray(n1, dtype=float)
    p0 = np.asarray(x0, dtype=float) / np.asarray(n0, dtype=float)
    l1, u1 = wilson(x1, n1, alpha)
    l0, u0 = wilson(x0, n0, alpha)
    d = p1 - p0
    return d, d - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)


def ratio(x1: ArrayLike, n1: ArrayLike, x0: ArrayLike, n0: ArrayLike,
          alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p1 / p0 − 1 (relative uplift) and its interval by the log method; NaN where either arm has no success."""
    x1, n1, x0, n0 = (np.asarray(v, dtype=float) for v in (x1, n1, x0, n0))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (x1 / n1) / (x0 / n0)
        se = np.sqrt(1 / x1 - 1 / n1 + 1 / x0 - 1 / n0)
        z = _z(alpha)
        low, high = r * np.exp(-z * se), r * np.exp(z * se)
    bad = (x1 <= 0) | (x0 <= 0)
    return tuple(np.where(bad, np.nan, v - 1) for v in (r, low, high))  # type: ignore[return-value]


def two_proportion_p(x1: ArrayLike, n1: ArrayLike, x0: ArrayLike, n0: ArrayLike) -> np.ndarray:
    """Two-sided p-value of the pooled z test of p1 = p0 (1 where both arms are all 0 or all 1)."""
    x1, n1, x0, n0 = (np.asarray(v, dtype=float) for v in (x1, n1, x0, n0))
    pooled = (x1 + x0) / (n1 + n0)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (x1 / n1 - x0 / n0) / se, 0.0)
    return 2 * stats.norm.sf(np.abs(z))


def welch(mean1: ArrayLike, var1: ArrayLike, n1: ArrayLike, mean0: ArrayLike, var0: ArrayLike, n0: ArrayLike,
          alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """mean1 − mean0, its interval and the two-sided p-value (Welch's t, unequal variances)."""
    m1, v1, n1, m0, v0, n0 = (np.asarray(v, dtype=float) for v in (mean1, var1, n1, mean0, var0, n0))
    a, b = v1 / n1, v0 / n0
    se = np.sqrt(a + b)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = (a + b) ** 2 / (a * a / np.maximum(n1 - 1, 1) + b * b / np.maximum(n0 - 1, 1))
        df = np.where(np.isfinite(df), df, np.maximum(n1 + n0 - 2, 1))
        t = stats.t.ppf(1 - alpha / 2, df)
        d = m1 - m0
        p = np.where(se > 0, 2 * stats.t.sf(np.abs(d / se), df), np.where(d == 0, 1.0, 0.0))
    return d, d - t * se, d + t * se, p


def n_for_proportions(p0: float, p1: float, alpha: float = 0.05, power: float = 0.8) -> int | None:
    """Customers per arm to detect p0 → p1 (None when they are equal or out of [0, 1])."""
    if not (0 <= p0 <= 1 and 0 <= p1 <= 1) or p0 == p1:
        return None
    z_a, z_b = _z(alpha), float(stats.norm.ppf(power))
    bar = (p0 + p1) / 2
    top = z_a * np.sqrt(2 * bar * (1 - bar)) + z_b * np.sqrt(p0 * (1 - p0) + p1 * (1 - p1))
    return int(np.ceil(top * top / (p1 - p0) ** 2))


def n_for_means(sd: float, delta: float, alpha: float = 0.05, power: float = 0.8) -> int | None:
    """Customers per arm to detect a difference `delta` in means with standard deviation `sd`."""
    if sd <= 0 or delta == 0:
        return None
    z = _z(alpha) + float(stats.norm.ppf(power))
    return int(np.ceil(2 * (z * sd / delta) ** 2))
