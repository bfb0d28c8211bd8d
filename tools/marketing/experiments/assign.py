"""Who gets which arm: randomised within strata (the customer's segment and tier), stable per customer.

`arm_by_block` is what the store uses: the n-th customer of a stratum takes position n of a permuted block that
holds each arm as often as its weight says, so every stratum is balanced to within one block however few
customers it has; the block's order is a permutation seeded by a hash of the experiment, the stratum and the
block number (unpredictable to customers, reproducible for an audit). The store records each customer's arm once
(`ExperimentAssigned`), which is what keeps it stable. `arm_by_hash` needs no count: a hash of the experiment,
the stratum and the customer picks the arm with the arms' weights (balanced in expectation), for callers
without a store.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from functools import reduce

import numpy as np

from tools.marketing.experiments.spec import ArmSpec, ExperimentSpec

MAX_BLOCK = 200  # arms' weights whose block would be longer are assigned by hash


def unit_hash(*parts: str) -> float:
    """A number in [0, 1) from the parts (SHA-256; the same parts give the same number in every process)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def _seed(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big")


def stratum_of(segments: Iterable[str] | None, strata: Iterable[str]) -> str:
    """The stratum key of a customer (`CustomerProfile.segments()`): e.g. `returning|gold`; `anonymous` without a
    profile; `all` when the experiment has no strata."""
    if segments is None:
        return "anonymous"
    given = set(segments)
    parts = []
    for s in strata:
        if s == "segment":
            parts.append("new_customer" if "new_customer" in given else "returning")
        elif s == "tier":
            parts.append(next((t for t in sorted(given) if t not in ("new_customer", "returning")), "regular"))
    return "|".join(parts) or "all"


def arm_by_hash(spec: ExperimentSpec, experiment_id: str, stratum: str, customer_id: str) -> ArmSpec:
    u = unit_hash(experiment_id, stratum, customer_id)
    total = sum(a.weight for a in spec.arms)
    edge = 0.0
    for arm in spec.arms:
        edge += arm.weight / total
        if u < edge:
            return arm
    return spec.arms[-1]


def block(spec: ExperimentSpec) -> list[int] | None:
    """One block's arm indices in order before permuting (each arm weight/gcd times); None if too long."""
    g = reduce(math.gcd, (a.weight for a in spec.arms))
    counts = [a.weight // g for a in spec.arms]
    if sum(counts) > MAX_BLOCK:
        return None
    return [i for i, c in enumerate(counts) for _ in range(c)]


def arm_by_block(spec: ExperimentSpec, experiment_id: str, stratum: str, position: int,
                 customer_id: str = "") -> ArmSpec:
    """The arm of the customer who is number `position` (from 0) to be assigned in the stratum."""
    if position < 0:
        raise ValueError("position must be >= 0")
    base = block(spec)
    if base is None:
        return arm_by_hash(spec, experiment_id, stratum, customer_id or str(position))
    number, at = divmod(position, len(base))
    order = np.random.default_rng(_seed(experiment_id, stratum, str(number))).permutation(len(base))
    return spec.arms[base[int(order[at])]]
