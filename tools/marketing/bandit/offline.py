"""Offline evaluation of a re-ranking policy on logged lists, before it is switched on.

Each logged list carries the candidates, the product put first, the propensity with which the logging
policy put it there and the reward it earned. A target policy's value (mean reward per list had it served)
is estimated by inverse propensity scoring (IPS), self-normalised IPS (SNIPS), doubly robust (DR, with a
cross-fitted ridge reward model) and, for uniformly logged data, the replay method (Li et al., 2011).
Intervals are normal (IPS, DR, replay), delta-method (SNIPS) or percentile bootstrap.

`compare` decides on the paired difference between two policies on the same logs, so the noise both
estimates share cancels: switch on only when the candidate's lower bound clears the current policy. The
current policy may be `LoggingPolicy()`, whatever served the logs (an online learner changes as it serves):
its probabilities are the logged ones, so its estimate is the on-policy mean reward.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel
from scipy import stats

from tools.marketing.bandit.features import Featurizer
from tools.marketing.bandit.policy import Policy, draw
from tools.marketing.bandit.records import Logged, Served

Method = Literal["ips", "snips", "dr"]


class LoggingPolicy:
    """The policy that served each logged list, as it was then: its first-position distribution is the one
    logged with the list (`Served.distribution`; without it only the chosen product's propensity is known and
    the rest is spread evenly, which only the doubly robust model term uses)."""

    def __init__(self, name: str = "logged") -> None:
        self.name = name

    def probabilities(self, context: Any, candidates: Sequence[Any]) -> np.ndarray:
        raise TypeError("the logging policy is known only on its own logged lists")

    def row_probabilities(self, served: Served) -> np.ndarray:
        k = len(served.candidates)
        if len(served.distribution) == k:
            return np.asarray(served.distribution, dtype=float)
        a = served.chosen_index
        p = np.full(k, (1.0 - served.propensity) / max(k - 1, 1))
        p[a] = served.propensity
        return p


def _probs(policy: Policy, served: Served) -> np.ndarray:
    by_row = getattr(policy, "row_probabilities", None)
    return by_row(served) if by_row is not None else policy.probabilities(served.context, served.candidates)


class Estimate(BaseModel):
    """A policy's estimated mean reward per list with its (1 - alpha) interval."""

    policy: str
    method: str
    value: float
    low: float
    high: float
    n: int
    ess: float  # effective sample size of the importance weights: small means the estimate rests on few lists

    def covers(self, truth: float) -> bool:
        return self.low <= truth <= self.high


class Verdict(BaseModel):
    """Whether the candidate beats the current policy on the logs, with the difference and its interval."""

    switch_on: bool
    decision: Literal["better", "worse", "inconclusive"]
    method: str
    current: Estimate
    candidate: Estimate
    lift: float
    lift_low: float
    lift_high: float
    reason: str


def _check(logs: Sequence[Logged]) -> None:
    if not logs:
        raise ValueError("no logged lists to evaluate on")


def _weights(target: Policy, logs: Sequence[Logged]) -> tuple[np.ndarray, np.ndarray]:
    """Importance weights pi(a|x)/p(a|x) and the target's full distributions (ragged, one per list)."""
    w = np.empty(len(logs))
    for i, row in enumerate(logs):
        s = row.served
        w[i] = _probs(target, s)[s.chosen_index] / s.propensity
    return w, np.array([row.reward for row in logs])


def _ess(w: np.ndarray) -> float:
    total = float((w**2).sum())
    return float(w.sum() ** 2 / total) if total > 0 else 0.0


def _normal(terms: np.ndarray, alpha: float) -> tuple[float, float, float]:
    mean = float(terms.mean())
    half = float(stats.norm.ppf(1 - alpha / 2) * terms.std(ddof=1) / np.sqrt(len(terms))) if len(terms) > 1 else np.inf
    return mean, mean - half, mean + half


def ips(target: Policy, logs: Sequence[Logged], *, alpha: float = 0.05) -> Estimate:
    _check(logs)
    w, r = _weights(target, logs)
    value, low, high = _normal(w * r, alpha)
    return Estimate(policy=target.name, method="ips", value=value, low=low, high=high, n=len(logs), ess=_ess(w))


def snips(target: Policy, logs: Sequence[Logged], *, alpha: float = 0.05) -> Estimate:
    """Self-normalised IPS: lower variance than IPS for a small bias; delta-method interval."""
    _check(logs)
    w, r = _weights(target, logs)
    if w.sum() == 0:
        raise ValueError(f"policy {target.name!r} never agrees with the logged choices: nothing to estimate from")
    value = float((w * r).sum() / w.sum())
    terms = w * (r - value) / w.mean()
    half = float(stats.norm.ppf(1 - alpha / 2) * terms.std(ddof=1) / np.sqrt(len(logs))) if len(logs) > 1 else np.inf
    return Estimate(policy=target.name, method="snips", value=value, low=value - half, high=value + half,
                    n=len(logs), ess=_ess(w))


class _RewardModel:
    """Ridge regression of reward on the same features the bandit uses, fitted on some of the logs."""

    def __init__(self, featurizer: Featurizer, logs: Sequence[Logged], ridge: float = 1.0) -> None:
        self.featurizer = featurizer
        x = np.stack([featurizer.vector(r.served.context, r.served.candidates[r.served.chosen_index]) for r in logs])
        y = np.array([r.reward for r in logs])
        self.theta = np.linalg.solve(x.T @ x + ridge * np.eye(featurizer.dim), x.T @ y)

    def predict(self, row: Logged) -> np.ndarray:
        return self.featurizer.matrix(row.served.context, row.served.candidates) @ self.theta


def _reward_predictions(logs: Sequence[Logged], featurizer: Featurizer, folds: int = 2) -> list[np.ndarray]:
    """Each list's predicted reward for every candidate, cross-fitted: the model for one fold is fitted on
    the other folds, so it never grades the rewards it was trained on. Independent of the target policy."""
    idx = np.arange(len(logs))
    out: list[np.ndarray] = [np.empty(0)] * len(logs)
    for k in range(folds):
        train = [logs[i] for i in idx[idx % folds != k]]
        model = _RewardModel(featurizer, train) if train else None
        for i in idx[idx % folds == k]:
            out[i] = model.predict(logs[i]) if model else np.zeros(len(logs[i].served.candidates))
    return out


def _dr_terms(target: Policy, logs: Sequence[Logged], q: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-list DR terms (and importance weights): the model's value of the target's distribution plus the
    importance-weighted residual of what was actually served."""
    terms, w = np.empty(len(logs)), np.empty(len(logs))
    for i, row in enumerate(logs):
        s = row.served
        pi = _probs(target, s)
        a = s.chosen_index
        w[i] = pi[a] / s.propensity
        terms[i] = float(pi @ q[i]) + w[i] * (row.reward - q[i][a])
    return terms, w


def _dr_estimate(target: Policy, terms: np.ndarray, w: np.ndarray, alpha: float) -> Estimate:
    value, low, high = _normal(terms, alpha)
    return Estimate(policy=target.name, method="dr", value=value, low=low, high=high, n=len(terms), ess=_ess(w))


def dr(
    target: Policy, logs: Sequence[Logged], *, alpha: float = 0.05, featurizer: Featurizer | None = None
) -> Estimate:
    """Doubly robust: the reward model's prediction for the target's choices, corrected by IPS on the residual."""
    _check(logs)
    terms, w = _dr_terms(target, logs, _reward_predictions(logs, featurizer or Featurizer()))
    return _dr_estimate(target, terms, w, alpha)


def bootstrap(
    target: Policy, logs: Sequence[Logged], *, method: Literal["ips", "snips"] = "snips", alpha: float = 0.05,
    rounds: int = 1000, seed: int = 0,
) -> Estimate:
    """Percentile bootstrap interval (the target is asked once per list; only the resampling repeats)."""
    _check(logs)
    w, r = _weights(target, logs)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(logs), size=(rounds, len(logs)))
    wr, ww = (w * r)[idx], w[idx]
    if method == "ips":
        boots, value = wr.mean(axis=1), float((w * r).mean())
    else:
        boots = wr.sum(axis=1) / np.maximum(ww.sum(axis=1), 1e-12)
        value = float((w * r).sum() / max(w.sum(), 1e-12))
    low, high = np.quantile(boots, [alpha / 2, 1 - alpha / 2])
    return Estimate(policy=target.name, method=f"{method}_bootstrap", value=value, low=float(low), high=float(high),
                    n=len(logs), ess=_ess(w))


def replay(target: Policy, logs: Sequence[Logged], *, alpha: float = 0.05, seed: int = 0) -> Estimate:
    """Replay (rejection sampling): keep the lists where the target, drawing its own first product, agrees with
    the logged one, and average their rewards. Unbiased only when the logs were served uniformly at random."""
    _check(logs)
    rng = np.random.default_rng(seed)
    kept: list[float] = []
    for row in logs:
        s = row.served
        if abs(s.propensity * len(s.candidates) - 1.0) > 1e-6:
            raise ValueError("replay needs uniformly logged lists; use ips, snips or dr")
        p = _probs(target, s)
        if draw(p, rng) == s.chosen_index:
            kept.append(row.reward)
    if len(kept) < 2:
        raise ValueError(f"policy {target.name!r} agreed with the logs on {len(kept)} lists: too few to estimate")
    value, low, high = _normal(np.array(kept), alpha)
    return Estimate(policy=target.name, method="replay", value=value, low=low, high=high, n=len(kept),
                    ess=float(len(kept)))


def compare(
    current: Policy,
    candidate: Policy,
    logs: Sequence[Logged],
    *,
    method: Method = "dr",
    alpha: float = 0.05,
    min_lift: float = 0.0,
    featurizer: Featurizer | None = None,
) -> Verdict:
    """Should the candidate replace the current policy? Yes only if the (1 - alpha) interval of the paired
    difference in mean reward per list lies above `min_lift`; "worse" if it lies below zero."""
    _check(logs)
    if method == "dr":
        q = _reward_predictions(logs, featurizer or Featurizer())
        (t_cand, w_cand), (t_cur, w_cur) = _dr_terms(candidate, logs, q), _dr_terms(current, logs, q)
        d = t_cand - t_cur
        est_cur, est_cand = _dr_estimate(current, t_cur, w_cur, alpha), _dr_estimate(candidate, t_cand, w_cand, alpha)
    elif method == "ips":
        w_cand, r = _weights(candidate, logs)
        w_cur, _ = _weights(current, logs)
        d = (w_cand - w_cur) * r
        est_cur, est_cand = ips(current, logs, alpha=alpha), ips(candidate, logs, alpha=alpha)
    else:  # snips: linearised difference of two ratio estimators
        w_cand, r = _weights(candidate, logs)
        w_cur, _ = _weights(current, logs)
        est_cur, est_cand = snips(current, logs, alpha=alpha), snips(candidate, logs, alpha=alpha)
        d = (w_cand * (r - est_cand.value) / max(w_cand.mean(), 1e-12)
             - w_cur * (r - est_cur.value) / max(w_cur.mean(), 1e-12)) + (est_cand.value - est_cur.value)
    lift, low, high = _normal(d, alpha)
    if low > min_lift:
        decision, reason = "better", f"{candidate.name} beats {current.name} by {lift:+.4f} per list " \
                                     f"(interval {low:+.4f} to {high:+.4f}, {method}, n={len(logs)})"
    elif high < 0:
        decision, reason = "worse", f"{candidate.name} is worse than {current.name} by {-lift:.4f} per list " \
                                    f"(interval {low:+.4f} to {high:+.4f}, {method}, n={len(logs)})"
    else:
        decision, reason = "inconclusive", f"the difference {lift:+.4f} per list is within noise " \
                                           f"(interval {low:+.4f} to {high:+.4f}, {method}, n={len(logs)}); " \
                                           "keep the current policy and collect more lists"
    return Verdict(switch_on=decision == "better", decision=decision, method=method, current=est_cur,
                   candidate=est_cand, lift=lift, lift_low=low, lift_high=high, reason=reason)
