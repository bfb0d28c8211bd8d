"""A conversation's in-session signal as plain data: what the customer did with product cards (`Touch`) and the
lists they were shown (`Shown`, with the re-ranking policy's record when one ranked it).

It is a projection of the event log (`Session.from_events`), kept live by `LiveSignals` (in process, or in
Redis so every worker sees it) so a recommendation need not read the whole log; the log stays the truth. A
live session is `complete` only when it holds the conversation's start marker: one that expired, was
trimmed or lost its beginning (Redis restarted) is incomplete, and the reader falls back to the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.events import ConversationStarted, Event, ProductInteracted, RecommendationShown

SESSION_KINDS = ("viewed", "clicked", "added_to_cart", "purchased")
# How much one interaction of a kind adds to a product's trending count.
HOT_WEIGHTS = {"viewed": 1.0, "clicked": 1.0, "added_to_cart": 2.0, "purchased": 3.0}


@dataclass(frozen=True, slots=True)
class Touch:
    """An interaction with a product card (`ProductInteracted`); `at` in epoch seconds."""

    product_id: str
    kind: str
    seq: int = 0
    at: float = 0.0

    @classmethod
    def of(cls, event: ProductInteracted) -> Touch:
        return cls(event.product_id, event.kind, event.seq, event.at.timestamp())

    def entry(self) -> dict[str, Any]:
        return {"k": "touch", "p": self.product_id, "kind": self.kind, "s": self.seq, "at": self.at}


@dataclass(frozen=True, slots=True)
class Shown:
    """A list of product cards shown (`RecommendationShown`), with the policy's record (`bandit`) if one ranked it."""

    product_ids: tuple[str, ...]
    seq: int = 0
    at: float = 0.0
    bandit: Mapping[str, Any] | None = None

    @classmethod
    def of(cls, event: RecommendationShown) -> Shown:
        return cls(tuple(event.product_ids), event.seq, event.at.timestamp(), event.bandit)

    def entry(self) -> dict[str, Any]:
        return {"k": "shown", "ids": list(self.product_ids), "s": self.seq, "at": self.at, "bandit": self.bandit}


START_ENTRY: dict[str, Any] = {"k": "start"}


@dataclass(slots=True)
class Session:
    """One conversation's touches and shown lists, each in log order."""

    complete: bool = True
    touches: list[Touch] = field(default_factory=list)
    shown: list[Shown] = field(default_factory=list)

    def interest(self) -> list[str]:
        """Products interacted with, each once, the most recently touched last."""
        out: dict[str, None] = {}
        for t in self.touches:
            if t.kind in SESSION_KINDS:
                out.pop(t.product_id, None)
                out[t.product_id] = None
        return list(out)

    def last_shown(self) -> list[str]:
        return list(self.shown[-1].product_ids) if self.shown else []

    def strongest(self) -> str:
        """The session's interest as a context value: none, viewed (looked or clicked), carted (cart or bought)."""
        kinds = {t.kind for t in self.touches}
        return "carted" if kinds & {"added_to_cart", "purchased"} else "viewed" if kinds else "none"

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> Session:
        session = cls(complete=True)
        for event in events:
            if isinstance(event, ProductInteracted):
                session.touches.append(Touch.of(event))
            elif isinstance(event, RecommendationShown) and event.product_ids:
                session.shown.append(Shown.of(event))
        return session

    @classmethod
    def from_entries(cls, entries: Sequence[Mapping[str, Any]]) -> Session:
        """From stored entries (any order: several workers append concurrently; seq orders them)."""
        session = cls(complete=False)
        for e in entries:
            kind = e.get("k")
            if kind == "start":
                session.complete = True
            elif kind == "touch":
                session.touches.append(Touch(str(e["p"]), str(e["kind"]), int(e.get("s", 0)), float(e.get("at", 0))))
            elif kind == "shown":
                session.shown.append(Shown(tuple(str(p) for p in e["ids"]), int(e.get("s", 0)),
                                           float(e.get("at", 0)), e.get("bandit")))
        session.touches.sort(key=lambda t: t.seq)
        session.shown.sort(key=lambda s: s.seq)
        return session


def is_start(event: Event) -> bool:
    return isinstance(event, ConversationStarted)
