"""The plain records a re-ranking policy writes and reads: what it served (with the propensity of its choice,
for inverse-propensity evaluation later) and what the customer did with it.

`Served.to_payload()` is the JSON object to store with the `RecommendationShown` event of that list
(e.g. under a `bandit` key); `Served.from_payload` reads it back. Nothing here touches a store or a server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from tools.marketing.bandit.features import Candidate


class RewardWeights(BaseModel):
    """What each outcome is worth; a list's reward is the largest weight it earned (a purchase implies a click,
    so summing would count the same interest twice). Purchase = 1 keeps rewards in [0, 1]."""

    click: float = Field(0.2, ge=0, le=1)
    add_to_cart: float = Field(0.5, ge=0, le=1)
    purchase: float = Field(1.0, ge=0, le=1)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the customer did with the product the policy put first."""

    clicked: bool = False
    added_to_cart: bool = False
    purchased: bool = False

    def reward(self, weights: RewardWeights | None = None) -> float:
        w = weights or RewardWeights()
        earned = [0.0]
        if self.clicked:
            earned.append(w.click)
        if self.added_to_cart:
            earned.append(w.add_to_cart)
        if self.purchased:
            earned.append(w.purchase)
        return max(earned)

    @classmethod
    def of_kinds(cls, kinds: Iterable[str]) -> Outcome:
        """From interaction kinds (`ProductInteracted.kind`): a card's "view details" is a click on it."""
        k = set(kinds)
        return cls(clicked=bool(k & {"viewed", "clicked"}), added_to_cart="added_to_cart" in k,
                   purchased="purchased" in k)

    @classmethod
    def of(cls, value: Outcome | Mapping[str, Any]) -> Outcome:
        if isinstance(value, Outcome):
            return value
        return cls(
            clicked=bool(value.get("clicked")),
            added_to_cart=bool(value.get("added_to_cart")),
            purchased=bool(value.get("purchased")),
        )


@dataclass(slots=True)
class Served:
    """One list a policy served. `chosen` is the product put first, drawn with probability `propensity`; the
    candidates are kept so any other policy can be asked offline what it would have put first.

    `propensities[j]` is the probability with which the product at position j+1 was drawn given the positions
    before it (`propensities[0] == propensity`); `distribution` is the whole first-position distribution over
    `candidates` (sums to 1); `generation` names the trained state the policy started from (its file), so a
    reward is credited only to the state that served the list."""

    policy: str
    context: dict[str, Any]
    candidates: list[Candidate]
    ranking: list[str]
    chosen: str
    propensity: float
    version: int = 0
    propensities: list[float] = field(default_factory=list)
    distribution: list[float] = field(default_factory=list)
    generation: str = ""

    def to_payload(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "version": self.version,
            "context": dict(self.context),
            "candidates": [c.to_dict() for c in self.candidates],
            "ranking": list(self.ranking),
            "chosen": self.chosen,
            "propensity": self.propensity,
            "propensities": list(self.propensities) or [self.propensity],
            "distribution": list(self.distribution),
            "generation": self.generation,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Served:
        propensity = float(payload["propensity"])
        if not 0.0 < propensity <= 1.0:
            raise ValueError(f"propensity must be in (0, 1], got {propensity}")
        return cls(
            policy=str(payload["policy"]),
            version=int(payload.get("version", 0)),
            context=dict(payload.get("context") or {}),
            candidates=[Candidate.of(c) for c in payload["candidates"]],
            ranking=[str(p) for p in payload["ranking"]],
            chosen=str(payload["chosen"]),
            propensity=propensity,
            propensities=[float(x) for x in payload.get("propensities") or [propensity]],
            distribution=[float(x) for x in payload.get("distribution") or []],
            generation=str(payload.get("generation") or ""),
        )

    def candidate(self, product_id: str) -> Candidate | None:
        return next((c for c in self.candidates if c.product_id == product_id), None)

    def slot_of(self, product_id: str) -> int | None:
        """The position (1-based) the product was shown at, or None."""
        return self.ranking.index(product_id) + 1 if product_id in self.ranking else None

    @property
    def chosen_index(self) -> int:
        for i, c in enumerate(self.candidates):
            if c.product_id == self.chosen:
                return i
        raise ValueError(f"chosen product {self.chosen!r} is not among the candidates")


@dataclass(slots=True)
class Logged:
    """A served list joined with its reward: one row of the offline evaluation."""

    served: Served
    reward: float
    outcome: Outcome = field(default_factory=Outcome)

    @classmethod
    def join(cls, served: Served, outcome: Outcome | Mapping[str, Any], weights: RewardWeights | None = None) -> Logged:
        o = Outcome.of(outcome)
        return cls(served=served, reward=o.reward(weights), outcome=o)


# Where a served list's record sits in its `RecommendationShown` event payload.
PAYLOAD_KEY = "bandit"


def join_logs(
    shown: Iterable[tuple[str, Mapping[str, Any]]],
    outcomes: Mapping[str, Outcome | Mapping[str, Any]],
    weights: RewardWeights | None = None,
) -> list[Logged]:
    """Offline evaluation rows from the event log: `shown` pairs each `RecommendationShown` event id with its
    payload, `outcomes` maps an event id to what the customer did with that list's first product. Lists that
    no policy ranked (no `bandit` record) are skipped; a ranked list with no outcome earned nothing."""
    rows = []
    for event_id, payload in shown:
        record = payload.get(PAYLOAD_KEY)
        if not record:
            continue
        rows.append(Logged.join(Served.from_payload(record), outcomes.get(event_id, Outcome()), weights))
    return rows
