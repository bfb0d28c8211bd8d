"""Which offer to show first: Thompson sampling with a Beta posterior per (segment, arm).

An arm is an offer and a copy variant (`OfferArm`; the variant is "" for an offer shown in its one wording), so copy
variants compete in the same bandit as the offers they word: one decision picks the offer to put first and the
words to put it in (`Choice.by_offer` keeps each offer once, in its best-placed variant). Only the live offers
eligible for the customer are arms of a decision; what the bandit learns of an arm in a segment is kept across
decisions.

Rewards are graded in [0, 1] and learnt as fractional Bernoulli trials (alpha += r, beta += 1 - r): an offer
shown first and then claimed earns `claimed`, one redeemed (a coupon used on an order, or an automatic campaign
bought under) earns `redeemed` (`OfferRewards`). A decision counts at once as a trial with reward 0, and a
reward that arrives later only adds the difference (`credit`): the same statistics as learning each decision
with its final reward, which is how `stats_from_trials` rebuilds the posterior from the outcome log.

The choice is drawn from the policy's own first-position distribution (P(arm's posterior draw is the largest),
mixed with `floor` of uniform exploration), so the logged propensity is exactly the probability the arm had of
being chosen: offline estimators (IPS, SNIPS) can evaluate another policy on these logs. That distribution is
computed by quadrature (`thompson_first`), not estimated from joint draws: the same posterior always gives the same
distribution, within 1e-3 of the exact one, for ~0.1 ms a decision where 2,000 x 12 Beta draws took ~1 ms and were
off by ~0.01.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

POLICY_NAME = "offer_thompson"
ANONYMOUS = "anonymous"
# Quadrature nodes: each arm's own, at its mean + these many standard deviations (fine where its mass is, however
# narrow its posterior), and a coarse even grid of [0, 1] under them all (the tails, skewed posteriors).
_ARM_NODES = np.linspace(-8.0, 8.0, 41)
_EVEN_NODES = np.linspace(0.0, 1.0, 65)


def thompson_first(alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """P(arm i's draw is the largest) for independent Beta(alpha_i, beta_i): the integral of f_i(x) prod_{j != i}
    F_j(x) over [0, 1], summed cell by cell over the nodes above. An arm's mass in a cell is its density at the
    cell's middle times the width, normalised to 1 per arm (the Beta function cancels); F_j inside a cell is its
    value at the cell's lower edge plus half the cell's mass.

    Why not joint draws, as before: 2,000 x 12 Beta draws cost ~1 ms a decision and the estimate moved by ~0.01
    from one decision to the next; this costs ~0.1 ms, gives the same distribution for the same posterior, and is
    within 1e-3 of the exact probability (~3e-5 for posteriors of a few dozen trials; the worst are two narrow
    posteriors on top of each other; coarser, ~0.01, under a prior below 1, whose densities are infinite at 0 or 1).
    Why not fewer draws or reusing a distribution for a while: noisier, or
    stale by the decisions made meanwhile. Exactness of the logged propensity does not rest on the quadrature:
    the choice is drawn from this distribution (mixed with the floor), and that is what is logged."""
    alpha, beta = np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float)
    k, m = len(alpha), len(_ARM_NODES)
    if k == 1:
        return np.ones(1)
    n = alpha + beta
    mean, sd = alpha / n, np.sqrt(alpha * beta / (n * n * (n + 1.0)))
    nodes = np.empty(k * m + len(_EVEN_NODES))
    own = nodes[: k * m].reshape(k, m)
    np.multiply.outer(sd, _ARM_NODES, out=own)
    own += mean[:, None]
    nodes[k * m:] = _EVEN_NODES
    edges = np.unique(np.clip(nodes, 0.0, 1.0))  # unique: no empty cell, so no middle at 0 or 1
    mid, width = (edges[1:] + edges[:-1]) * 0.5, np.diff(edges)
    log_density = np.multiply.outer(alpha - 1.0, np.log(mid))
    log_density += np.multiply.outer(beta - 1.0, np.log1p(-mid))
    log_density -= log_density.max(axis=1, keepdims=True)
    mass = np.exp(log_density, out=log_density)
    mass *= width
    mass /= mass.sum(axis=1, keepdims=True)
    inside = np.cumsum(mass, axis=1)
    inside -= 0.5 * mass  # F_j in the middle of each cell
    before, after = np.ones_like(inside), np.ones_like(inside)  # prod of F_j over j < i, over j > i
    np.cumprod(inside[:-1], axis=0, out=before[1:])
    np.cumprod(inside[:0:-1], axis=0, out=after[-2::-1])
    p = np.einsum("ij,ij,ij->i", mass, before, after)
    return p / p.sum()


@dataclass(frozen=True, slots=True, order=True)
class OfferArm:
    """An offer (a campaign id) worded by a copy variant ("" for the campaign's own wording)."""

    offer_id: str
    variant: str = ""

    @property
    def key(self) -> str:
        return f"{self.offer_id}|{self.variant}" if self.variant else self.offer_id

    @classmethod
    def of_key(cls, key: str) -> OfferArm:
        offer_id, _, variant = key.partition("|")
        return cls(offer_id, variant)


def segment_of(segments: Iterable[str] | None, shopper: str | None = None) -> str:
    """One segment key from a customer's segments (`CustomerProfile.segments()`): lifecycle and tier, e.g.
    `returning:gold`; `anonymous` for a visitor who is not signed in. With copy variants in play, the shopper
    segment they were worded for follows (`returning:gold/price_sensitive`): what copy works is learnt per
    shopper segment, since that is what the copy is written for."""
    if segments is None:
        base = ANONYMOUS
    else:
        given = set(segments)
        life = "new_customer" if "new_customer" in given else "returning"
        tiers = sorted(given - {"new_customer", "returning"})
        base = f"{life}:{tiers[0]}" if tiers else life
    return f"{base}/{shopper}" if shopper else base


@dataclass(frozen=True, slots=True)
class OfferRewards:
    """What each outcome of an offer shown first is worth (the largest reached counts; they do not add up)."""

    claimed: float = 0.3
    redeemed: float = 1.0

    def of(self, outcomes: Iterable[str]) -> float:
        got = set(outcomes)
        return max([0.0, *(w for name, w in (("claimed", self.claimed), ("redeemed", self.redeemed)) if name in got)])


@dataclass(slots=True)
class ArmStats:
    """Pseudo-counts of one arm in one segment beyond the prior: successes and failures (fractional)."""

    successes: float = 0.0
    failures: float = 0.0

    @property
    def trials(self) -> float:
        return self.successes + self.failures


@dataclass(frozen=True, slots=True)
class Choice:
    """A decision: the arms in the order to show them (the first is the choice), the chosen arm's propensity and
    the first-position distribution over `arms` as given."""

    segment: str
    ordered: list[OfferArm]
    propensity: float
    arms: list[OfferArm]
    distribution: list[float]

    @property
    def arm(self) -> OfferArm:
        return self.ordered[0]

    def payload(self) -> dict[str, Any]:
        """The `OfferMade.policy` record of the chosen offer (what the posterior is rebuilt from)."""
        return {"name": POLICY_NAME, "segment": self.segment, "arm": self.arm.key, "rank": 0,
                "propensity": round(self.propensity, 6), "arms": [a.key for a in self.arms],
                "distribution": [round(p, 6) for p in self.distribution]}

    def by_offer(self) -> Choice:
        """The same decision with each offer once, in its best-placed variant: the chosen arm (offer and copy)
        first, then each other offer worded by the variant the posterior ranks highest for it."""
        seen: set[str] = set()
        ordered = []
        for arm in self.ordered:
            if arm.offer_id not in seen:
                seen.add(arm.offer_id)
                ordered.append(arm)
        return Choice(self.segment, ordered, self.propensity, self.arms, self.distribution)

    def payload_for(self, arm: OfferArm) -> dict[str, Any]:
        """The record of an offer shown in a later position (not a decision the bandit learns from)."""
        if arm == self.arm:
            return self.payload()
        return {"name": POLICY_NAME, "segment": self.segment, "arm": arm.key, "rank": self.ordered.index(arm)}


@dataclass(frozen=True, slots=True)
class Trial:
    """One logged decision and the reward it earned (what `stats_from_trials` learns)."""

    segment: str
    arm: str
    reward: float
    propensity: float = 1.0


@dataclass(slots=True)
class OfferBandit:
    """Beta-Bernoulli Thompson sampling per (segment, arm). `prior` is Beta(prior, prior); `floor` the share of
    uniform exploration mixed into every decision (so no eligible arm's propensity falls to zero)."""

    prior: float = 1.0
    floor: float = 0.05
    stats: dict[tuple[str, str], ArmStats] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.prior <= 0 or not 0 <= self.floor < 1:
            raise ValueError("prior must be > 0, floor in [0, 1)")

    # --- the posterior -----------------------------------------------------------------------------------

    def _stats(self, segment: str, arm: str) -> ArmStats:
        return self.stats.setdefault((segment, arm), ArmStats())

    def posterior(self, segment: str, arms: Sequence[OfferArm]) -> tuple[np.ndarray, np.ndarray]:
        """Beta parameters (alpha, beta) of each arm in the segment."""
        got = [self.stats.get((segment, a.key), ArmStats()) for a in arms]
        alpha = np.array([self.prior + max(s.successes, 0.0) for s in got])
        beta = np.array([self.prior + max(s.failures, 0.0) for s in got])
        return alpha, beta

    def means(self, segment: str, arms: Sequence[OfferArm]) -> np.ndarray:
        alpha, beta = self.posterior(segment, arms)
        return alpha / (alpha + beta)

    def observe(self, segment: str, arm: str, reward: float = 0.0) -> None:
        """A decision with its reward so far (0 when nothing is known yet)."""
        r = min(max(reward, 0.0), 1.0)
        s = self._stats(segment, arm)
        s.successes += r
        s.failures += 1.0 - r

    def credit(self, segment: str, arm: str, reward: float, previous: float = 0.0) -> None:
        """A decision already observed with `previous` earned `reward` since: move the difference."""
        r, p = min(max(reward, 0.0), 1.0), min(max(previous, 0.0), 1.0)
        if r <= p:
            return
        s = self._stats(segment, arm)
        s.successes += r - p
        s.failures -= r - p

    # --- deciding ----------------------------------------------------------------------------------------

    def distribution(self, segment: str, arms: Sequence[OfferArm]) -> np.ndarray:
        """P(each arm is chosen first): the Thompson probability of its draw being the largest (`thompson_first`),
        mixed with the exploration floor."""
        k = len(arms)
        if k == 0:
            raise ValueError("no arms to choose from")
        if k == 1:
            return np.ones(1)
        return (1.0 - self.floor) * thompson_first(*self.posterior(segment, arms)) + self.floor / k

    def choose(self, segment: str, arms: Sequence[OfferArm], rng: np.random.Generator | None = None) -> Choice:
        """Draw the arm to show first; the rest follow by posterior mean (duplicates of an arm are dropped)."""
        unique = list(dict.fromkeys(arms))
        rng = rng or np.random.default_rng()
        p = self.distribution(segment, unique)
        first = int(rng.choice(len(unique), p=p / p.sum()))
        means = self.means(segment, unique)
        rest = sorted((i for i in range(len(unique)) if i != first), key=lambda i: (-means[i], unique[i]))
        ordered = [unique[first], *(unique[i] for i in rest)]
        return Choice(segment, ordered, float(p[first]), unique, [float(x) for x in p])

    # --- rebuilding --------------------------------------------------------------------------------------

    @classmethod
    def from_trials(cls, trials: Iterable[Trial], **config: Any) -> OfferBandit:
        bandit = cls(**config)
        for t in trials:
            bandit.observe(t.segment, t.arm, t.reward)
        return bandit

    def replace_stats(self, other: OfferBandit) -> None:
        """Take `other`'s statistics (a rebuild from the log) in place, keeping this configuration."""
        self.stats = {k: ArmStats(v.successes, v.failures) for k, v in other.stats.items()}

    def summary(self) -> list[dict[str, Any]]:
        """Every (segment, arm) with its trials and posterior mean, for reports."""
        rows = []
        for (segment, arm), s in sorted(self.stats.items()):
            a, b = self.prior + s.successes, self.prior + s.failures
            rows.append({"segment": segment, "arm": arm, "trials": round(s.trials, 3),
                         "successes": round(s.successes, 3), "mean": a / (a + b)})
        return rows


def ips_value(trials: Sequence[Trial], target: Mapping[tuple[str, str], float]) -> float:
    """Inverse-propensity estimate of another policy's mean reward per decision on logged decisions: `target`
    gives that policy's probability of each (segment, arm). Decisions it could not have made weigh nothing."""
    if not trials:
        return 0.0
    weights = np.array([target.get((t.segment, t.arm), 0.0) / max(t.propensity, 1e-9) for t in trials])
    rewards = np.array([t.reward for t in trials])
    return float(np.mean(weights * rewards))
