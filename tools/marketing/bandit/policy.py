"""Re-ranking policies over the recommender's candidates.

A policy says, for a context and a candidate list, the probability of putting each candidate first
(`probabilities`); `rank` draws the first product from that distribution and logs its propensity, then
orders the rest by the policy's own preference. Offline evaluation asks the same `probabilities` of logged
lists, so what is evaluated is exactly what would be served.

`LinearThompson` is Thompson sampling on a Bayesian linear model of the reward over hashed features
(context x candidate). Why not `mabwiser` or `vowpalwabbit`: candidates differ from list to list (arms are
products described by features, not a fixed set), the logged propensity must be exact for IPS, and the
state must be additive so several workers can each add what they learnt to one shared copy. A linear
model's sufficient statistics (B = lambda*I + sum x x^T, f = sum r x) are exactly that, and fit in one npz.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tools.marketing.bandit.features import DEFAULT_DIM, DENSE, Candidate, Featurizer
from tools.marketing.bandit.records import Outcome, RewardWeights, Served

CONFIG_KEYS = ("name", "dim", "prior", "scale", "exploration", "epsilon", "samples")
OPTIONAL_KEYS = {"score_prior": 0.0}  # config added later: files written before it load with the default


class Policy(Protocol):
    name: str

    def probabilities(self, context: Mapping[str, Any], candidates: Sequence[Candidate]) -> np.ndarray:
        """P(candidate i is put first), summing to 1."""
        ...


def _as_candidates(candidates: Sequence[Candidate | Mapping[str, Any]]) -> list[Candidate]:
    out = [Candidate.of(c) for c in candidates]
    if not out:
        raise ValueError("no candidates to rank")
    return out


def _top_score(candidates: Sequence[Candidate]) -> int:
    """The index of the highest source score; the recommender's order breaks ties."""
    return max(range(len(candidates)), key=lambda i: candidates[i].score)


class ScoreOrder:
    """The current ranking: the recommender's score order, optionally with epsilon-greedy exploration so its
    own logs can evaluate other policies."""

    def __init__(self, epsilon: float = 0.0, name: str = "score_order") -> None:
        self.epsilon = epsilon
        self.name = name

    def probabilities(self, context: Mapping[str, Any], candidates: Sequence[Candidate]) -> np.ndarray:
        k = len(candidates)
        p = np.full(k, self.epsilon / k)
        p[_top_score(candidates)] += 1.0 - self.epsilon
        return p

    def preference(self, context: Mapping[str, Any], candidates: Sequence[Candidate]) -> np.ndarray:
        return np.array([c.score for c in candidates])


class Uniform:
    """Every candidate first with the same probability: the cleanest logging policy for evaluation."""

    name = "uniform"

    def probabilities(self, context: Mapping[str, Any], candidates: Sequence[Candidate]) -> np.ndarray:
        return np.full(len(candidates), 1.0 / len(candidates))

    def preference(self, context: Mapping[str, Any], candidates: Sequence[Candidate]) -> np.ndarray:
        return np.array([c.score for c in candidates])


def draw(p: np.ndarray, rng: np.random.Generator) -> int:
    """One index drawn with probabilities `p` (`rng.choice(p=...)` validates and costs ten times more)."""
    values = p.tolist()
    u, acc = rng.random() * sum(values), 0.0
    for i, pi in enumerate(values):
        acc += pi
        if u < acc:
            return i
    return len(values) - 1


def rank(
    policy: Any,
    context: Mapping[str, Any],
    candidates: Sequence[Candidate | Mapping[str, Any]],
    rng: np.random.Generator,
    *,
    slots: int = 1,
    per_category: int | None = None,
    generation: str = "",
) -> Served:
    """Serve one list: draw the first product from the policy's distribution and record its propensity (and
    the whole distribution, for doubly robust evaluation of the logging policy); with `slots` > 1 each next
    position is drawn the same way from the candidates left, each with its propensity given the positions
    before it. The rest follow by the policy's `preference`. A Thompson policy (`draws` and `share`) draws
    every position from one set of posterior draws (the position adds the same to every candidate's reward,
    so it does not change who wins); any other is asked again with `slot` in the context.

    `per_category` caps how many of one category the drawn positions may hold (the recommender's diversity
    rule survives re-ranking); a capped candidate is out of that draw, so the logged propensities stay exact."""
    cands = _as_candidates(candidates)
    sampled = policy.draws(context, cands) if hasattr(policy, "draws") else None

    def distribution(pool: list[int], slot: int) -> np.ndarray:
        if sampled is not None:
            return np.asarray(policy.share(sampled[:, pool]))
        return np.asarray(policy.probabilities({**context, "slot": slot} if slot > 1 else context,
                                               [cands[i] for i in pool]))

    p = distribution(list(range(len(cands))), 1)
    first = draw(p, rng)
    order, propensities = [first], [float(p[first])]
    left = [i for i in range(len(cands)) if i != first]
    used = {cands[first].category: 1}
    for slot in range(2, min(slots, len(cands)) + 1):
        pool = [i for i in left if per_category is None or used.get(cands[i].category, 0) < per_category]
        pool = pool or list(left)  # every category left is at its cap: the cap gives way
        q = distribution(pool, slot)
        pick = draw(q, rng)
        chosen = pool[pick]
        order.append(chosen)
        propensities.append(float(q[pick]))
        left.remove(chosen)
        used[cands[chosen].category] = used.get(cands[chosen].category, 0) + 1
    pref = policy.preference(context, cands)
    order += sorted(left, key=lambda i: -pref[i])
    return Served(
        policy=policy.name,
        version=int(getattr(policy, "version", 0)),
        context=dict(context),
        candidates=cands,
        ranking=[cands[i].product_id for i in order],
        chosen=cands[first].product_id,
        propensity=propensities[0],
        propensities=propensities,
        distribution=[float(x) for x in p],
        generation=generation,
    )


@dataclass(slots=True)
class StatsDelta:
    """What one worker learnt since it last synced: added to the shared state by `LinearThompson.absorb`."""

    b: np.ndarray
    f: np.ndarray
    n: int
    rr: float

    def add(self, outer: np.ndarray, rx: np.ndarray, reward: float) -> None:
        self.b += outer
        self.f += rx
        self.n += 1
        self.rr += reward * reward


class LinearThompson:
    """Thompson sampling on a Bayesian ridge regression of reward on features, with an epsilon floor so every
    candidate keeps a propensity of at least epsilon/K (bounded importance weights offline).

    The first product is drawn from P(argmax of a posterior draw = i), estimated with `samples` draws and
    mixed with the floor; the logged propensity is that mixed probability, which is exactly the one used.
    Draws are of the K candidates' scores (a K-dimensional normal), not of the d weights, so a list costs
    O(K d^2) whatever the number of draws. The noise scale is learnt from the residuals (its prior weight
    is `prior_noise_n` lists at `scale`), so rewards on any scale explore as much as they need.

    `score_prior` is the prior mean weight of the source-score feature: a fresh policy ranks roughly as the
    recommender does and explores around that, instead of shuffling a good list; the data overrule it.
    Learning is additive (`update` for a list with its reward, or `update` with 0 when it is served and
    `credit` when a reward arrives later: the same statistics either way).
    """

    def __init__(
        self,
        *,
        name: str = "linear_thompson",
        dim: int = DEFAULT_DIM,
        prior: float = 1.0,
        scale: float = 0.3,
        exploration: float = 1.0,
        epsilon: float = 0.05,
        samples: int = 256,
        score_prior: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.name = name
        self.featurizer = Featurizer(dim=dim)
        self.prior = prior
        self.scale = scale
        self.exploration = exploration
        self.epsilon = epsilon
        self.samples = samples
        self.score_prior = score_prior
        self.info: dict[str, Any] = {}  # what trained it (saved with the state; `kefu train bandit` fills it)
        self.b = prior * np.eye(dim)
        self.f = prior * self._prior_mean()  # B^-1 f starts at the prior mean
        self.rr = 0.0  # sum of squared rewards: with b and f, gives the residual variance
        self.n = 0
        self.version = 0
        self._pending = StatsDelta(np.zeros((dim, dim)), np.zeros(dim), 0, 0.0)
        self._rng = np.random.default_rng(seed)
        self._cov = np.eye(dim) / prior  # b^-1, kept current by rank-one updates
        self._since_inverse = 0
        self._stale = False  # deferred observations are in b but not yet in _cov
        self._cov_epoch = 0  # counts changes to _cov, so a refresh computed meanwhile is not installed over one
        self.deferred = 0  # how many
        self._mean: tuple[int, np.ndarray] | None = None

    def _prior_mean(self) -> np.ndarray:
        m = np.zeros(self.featurizer.dim)
        m[-DENSE] = self.score_prior  # the source score (see `Featurizer`)
        return m

    # -- serving ---------------------------------------------------------------------------------------
    def _posterior_mean(self) -> np.ndarray:
        if self._mean is None or self._mean[0] != self.version:
            self._mean = (self.version, self._cov @ self.f)
        return self._mean[1]

    def noise(self) -> float:
        """Residual standard deviation of the reward, shrunk towards `scale` while there is little data."""
        prior_n = 10.0
        m0 = self._prior_mean()
        resid = max(self.rr + self.prior * float(m0 @ m0) - float(self.f @ self._posterior_mean()), 0.0)
        return float(np.sqrt((resid + prior_n * self.scale**2) / (self.n + prior_n)))

    def preference(self, context: Mapping[str, Any], candidates: Sequence[Candidate]) -> np.ndarray:
        """The posterior mean reward of each candidate (what exploitation alone would rank by)."""
        return self.featurizer.matrix(context, candidates) @ self._posterior_mean()

    def draws(self, context: Mapping[str, Any], candidates: Sequence[Candidate]) -> np.ndarray:
        """`samples` joint posterior draws of the candidates' rewards (samples x K)."""
        k = len(candidates)
        x = self.featurizer.matrix(context, candidates)
        mean = x @ self._posterior_mean()
        cov = x @ self._cov @ x.T
        chol = np.linalg.cholesky((cov + cov.T) / 2 + 1e-12 * np.eye(k))
        spread = self.exploration * self.noise()
        return mean + spread * self._rng.standard_normal((self.samples, k)) @ chol.T

    def share(self, draws: np.ndarray) -> np.ndarray:
        """P(first) from draws (of the candidates still in play): the share each wins, over the epsilon floor."""
        k = draws.shape[1]
        wins = np.bincount(np.argmax(draws, axis=1), minlength=k) / len(draws)
        return (1.0 - self.epsilon) * wins + self.epsilon / k

    def probabilities(self, context: Mapping[str, Any], candidates: Sequence[Candidate]) -> np.ndarray:
        return self.share(self.draws(context, candidates))

    # -- learning --------------------------------------------------------------------------------------
    def update(self, context: Mapping[str, Any], candidate: Candidate, reward: float) -> None:
        """Learn from the reward the candidate earned when it was put first."""
        x = self.featurizer.vector(context, candidate)
        nz = np.flatnonzero(x)  # a few dozen of `dim`: the outer product touches only those rows and columns
        block = np.ix_(nz, nz)
        outer = np.outer(x[nz], x[nz])
        self.b[block] += outer
        self.f += reward * x
        self.rr += reward * reward
        self.n += 1
        self._pending.b[block] += outer
        self._pending.f += reward * x
        self._pending.n += 1
        self._pending.rr += reward * reward
        cx = self._cov[:, nz] @ x[nz]  # Sherman-Morrison; a full inverse now and then stops rounding from drifting
        self._cov -= np.outer(cx, cx) / (1.0 + float(x @ cx))
        self._cov_epoch += 1
        self._since_inverse += 1
        if self._since_inverse >= 1000:
            self._reinvert()
        self.version += 1

    def observe(self, pairs: Sequence[tuple[Mapping[str, Any], Candidate]], *, defer: bool = False) -> None:
        """Several observations with reward 0 at once (the positions of a list just served, whose rewards are
        `credit`ed when they arrive): one Woodbury update of the inverse instead of one per position. With
        `defer` the inverse is left as it is until `refresh` (the statistics are exact at once; serving
        explores by a covariance that lags by the lists since, which only ever shrink it)."""
        if not pairs:
            return
        x = np.stack([self.featurizer.vector(c, cand) for c, cand in pairs])
        for row in x:
            nz = np.flatnonzero(row)
            block = np.ix_(nz, nz)
            outer = np.outer(row[nz], row[nz])
            self.b[block] += outer
            self._pending.b[block] += outer
        self.n += len(pairs)
        self._pending.n += len(pairs)
        if defer:
            self._stale = True
            self.deferred += len(pairs)
            return
        used = np.flatnonzero(np.any(x != 0, axis=0))  # the columns these rows touch: a fraction of d
        cx = self._cov[:, used] @ x[:, used].T  # d x m
        self._cov -= cx @ np.linalg.solve(np.eye(len(pairs)) + x @ cx, cx.T)
        self._cov_epoch += 1
        self._since_inverse += len(pairs)
        if self._since_inverse >= 1000:
            self._reinvert()
        self.version += 1

    def credit(self, context: Mapping[str, Any], candidate: Candidate, reward: float, previous: float = 0.0) -> None:
        """A reward that arrived after the list was served (and learnt from with `previous`, 0 at first): only
        the reward terms change, so no matrix is touched and it costs O(d)."""
        change = reward - previous
        if change == 0:
            return
        x = self.featurizer.vector(context, candidate)
        self.f += change * x
        extra = reward * reward - previous * previous
        self.rr += extra
        self._pending.f += change * x
        self._pending.rr += extra
        self.version += 1

    def learn(
        self, served: Served, reward: float | Outcome | Mapping[str, Any], weights: RewardWeights | None = None
    ) -> None:
        """Learn from what happened to a list this policy (or another, with its candidates logged) served:
        a reward, or the outcome record (clicked / added_to_cart / purchased) weighed by `weights`."""
        value = reward if isinstance(reward, int | float) else Outcome.of(reward).reward(weights)
        self.update(served.context, served.candidates[served.chosen_index], float(value))

    @property
    def learnt(self) -> StatsDelta:
        """What this copy learnt since the last `take_delta` (live: it keeps growing)."""
        return self._pending

    def take_delta(self) -> StatsDelta:
        """What this copy learnt since the last call, for another copy (or a shared store) to `absorb`."""
        dim = self.featurizer.dim
        delta, self._pending = self._pending, StatsDelta(np.zeros((dim, dim)), np.zeros(dim), 0, 0.0)
        return delta

    def absorb(self, delta: StatsDelta) -> None:
        """Add what another worker learnt (sufficient statistics add up; no list is counted twice as long as
        each delta is absorbed once)."""
        self.b += delta.b
        self.f += delta.f
        self.rr += delta.rr
        self.n += delta.n
        self._reinvert()
        self.version += 1

    def refresh(self) -> bool:
        """Bring the inverse up to date after deferred observations (O(d^3)); True if it was stale."""
        if not self._stale:
            return False
        self._reinvert()
        self.version += 1
        return True

    def refresh_start(self) -> tuple[np.ndarray, int, int] | None:
        """The first half of a refresh that need not hold the policy meanwhile: a copy of B to invert (anywhere,
        e.g. in another thread) and what `refresh_finish` needs to know; None when nothing is deferred."""
        return (self.b.copy(), self.deferred, self._cov_epoch) if self._stale else None

    def refresh_finish(self, started: tuple[np.ndarray, int, int], inverse: np.ndarray) -> bool:
        """Install the inverse of the copied B, unless the covariance changed otherwise meanwhile; observations
        deferred since the copy stay deferred."""
        _, deferred, epoch = started
        if epoch != self._cov_epoch:
            return False
        self._cov = (inverse + inverse.T) / 2
        self._cov_epoch += 1
        self.deferred -= deferred
        self._stale = self.deferred > 0
        self._since_inverse = 0
        self.version += 1
        return True

    def _reinvert(self) -> None:
        self._stale, self.deferred = False, 0
        self._cov = np.linalg.inv(self.b)
        self._cov = (self._cov + self._cov.T) / 2
        self._cov_epoch += 1
        self._since_inverse = 0

    # -- persistence -----------------------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dim": self.featurizer.dim,
            "prior": self.prior,
            "scale": self.scale,
            "exploration": self.exploration,
            "epsilon": self.epsilon,
            "samples": self.samples,
            "score_prior": self.score_prior,
        }

    def save(self, path: str | Path) -> None:
        """One npz: the statistics and the configuration (JSON) that gives them their meaning."""
        meta = {**self.config(), "n": self.n, "rr": self.rr, "version": self.version, "info": self.info}
        with open(path, "wb") as fh:
            np.savez_compressed(fh, b=self.b, f=self.f, meta=np.array(json.dumps(meta)))

    @classmethod
    def load(cls, path: str | Path, *, seed: int = 0) -> LinearThompson:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            policy = cls(**_config(meta), seed=seed)
            policy._set_state(data["b"], data["f"], meta)
        return policy

    def to_json(self) -> dict[str, Any]:
        """The same state as a JSON object (for Redis or a settings file); `b` is symmetric, so only its upper
        triangle is written."""
        iu = np.triu_indices(self.featurizer.dim)
        return {**self.config(), "n": self.n, "rr": self.rr, "version": self.version, "b_upper": self.b[iu].tolist(),
                "f": self.f.tolist()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, seed: int = 0) -> LinearThompson:
        policy = cls(**_config(data), seed=seed)
        dim = policy.featurizer.dim
        b = np.zeros((dim, dim))
        iu = np.triu_indices(dim)
        upper = np.asarray(data["b_upper"], dtype=float)
        if upper.shape != iu[0].shape:
            raise ValueError(f"state of {upper.size} values does not match dim {dim}")
        b[iu] = upper
        b = b + np.triu(b, 1).T
        policy._set_state(b, np.asarray(data["f"], dtype=float), data)
        return policy

    def _set_state(self, b: np.ndarray, f: np.ndarray, meta: Mapping[str, Any]) -> None:
        dim = self.featurizer.dim
        if b.shape != (dim, dim) or f.shape != (dim,):
            raise ValueError(f"state shape {b.shape}/{f.shape} does not match dim {dim}")
        self.b = np.array(b, dtype=float)
        self.f = np.array(f, dtype=float)
        self.n = int(meta.get("n", 0))
        self.rr = float(meta.get("rr", 0.0))
        self.version = int(meta.get("version", 0))
        self.info = dict(meta.get("info") or {})
        self._reinvert()
        self._mean = None


def _config(meta: Mapping[str, Any]) -> dict[str, Any]:
    return {**{k: meta[k] for k in CONFIG_KEYS}, **{k: meta.get(k, v) for k, v in OPTIONAL_KEYS.items()}}


class Greedy:
    """A trained `LinearThompson` without exploration: what switching it to pure exploitation would serve."""

    def __init__(self, model: LinearThompson, name: str | None = None) -> None:
        self.model = model
        self.name = name or f"{model.name}_greedy"

    def preference(self, context: Mapping[str, Any], candidates: Sequence[Candidate]) -> np.ndarray:
        return self.model.preference(context, candidates)

    def probabilities(self, context: Mapping[str, Any], candidates: Sequence[Candidate]) -> np.ndarray:
        p = np.zeros(len(candidates))
        p[int(np.argmax(self.preference(context, candidates)))] = 1.0
        return p
