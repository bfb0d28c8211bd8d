"""The offer bandit as the chat serves it: one `OfferBandit` per worker, rebuilt from the outcome log every
`rebuild_s` seconds (which also brings in what other workers served and the coupons redeemed at checkout,
which no conversation sees) and learning online in between from the events each turn records: a decision
counts as a trial at once, a claim in the same conversation credits it (`observe`).

Thread-safe: the tools decide in worker threads while the event loop records outcomes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

import numpy as np

from agent.events import CouponIssued, Event, OfferMade
from tools.marketing import offer_log
from tools.marketing.offer_bandit import Choice, OfferArm, OfferBandit, OfferRewards, Trial

log = logging.getLogger(__name__)


class OfferChooser:
    """`choose` for the tools, `observe` for the event feed. `history` returns the logged trials to rebuild from
    (None: learn online only, e.g. in tests)."""

    def __init__(self, bandit: OfferBandit | None = None, *, rewards: OfferRewards | None = None,
                 history: Callable[[], list[Trial]] | None = None, rebuild_s: float = 600.0,
                 seed: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.bandit = bandit or OfferBandit()
        self.rewards = rewards or OfferRewards()
        self._history = history
        self._rebuild_s = rebuild_s
        self._clock = clock
        self._built_at: float | None = None
        self._lock = threading.Lock()
        self._rng = np.random.default_rng(seed)

    def rebuild(self) -> None:
        """Replace the statistics with what the log says now (a failure keeps the old ones, logged)."""
        if self._history is None:
            return
        try:
            fresh = OfferBandit.from_trials(self._history(), prior=self.bandit.prior, floor=self.bandit.floor)
        except Exception:  # the offers must still be shown: keep learning online
            log.exception("offer bandit: rebuilding from the log failed")
            fresh = None
        with self._lock:
            self._built_at = self._clock()
            if fresh is not None:
                self.bandit.replace_stats(fresh)

    def _stale(self) -> bool:
        return self._history is not None and (self._built_at is None
                                              or self._clock() - self._built_at >= self._rebuild_s)

    def choose(self, segment: str, arms: Sequence[OfferArm]) -> Choice:
        """Blocking (a rebuild reads the store when due): call it from a worker thread."""
        if self._stale():
            self.rebuild()
        with self._lock:
            return self.bandit.choose(segment, arms, self._rng)

    @staticmethod
    def needs_log(events: Sequence[Event]) -> bool:
        """Whether `observe` needs the conversation's log for these events (a claim to credit)."""
        return any(isinstance(e, CouponIssued) for e in events)

    def observe(self, events: Sequence[Event], conversation: Sequence[Event] | None = None) -> None:
        """Learn from events just recorded: decisions as trials, claims as credit to the decision that led to
        them (`conversation`: the conversation's log including `events`, needed when `needs_log`)."""
        claims = [e for e in events if isinstance(e, CouponIssued)]
        with self._lock:
            for e in events:
                if isinstance(e, OfferMade) and offer_log.is_decision(e):
                    d = offer_log.decision_of(e)
                    self.bandit.observe(d.segment, d.arm, 0.0)
        if not claims or conversation is None:
            return
        found = offer_log.decisions(conversation)
        for claim in claims:
            d = next((d for d in reversed(found) if claim.code in d.codes), None)
            if d is None or d.codes != {claim.code}:  # no decision led to it, or one already credited
                continue
            with self._lock:
                self.bandit.credit(d.segment, d.arm, self.rewards.of({"claimed"}), 0.0)
