"""A circuit breaker: after a few failures in a row a dependency is not called at all for a while.

Why: a stalled LLM or an unreachable Redis costs every caller its full timeout, turn after turn. Once `failures`
calls in a row have failed the breaker is *open*: `allow()` says no at once, and the caller takes its fallback
(templates; local delivery only). After `reset_s` it is *half-open*: one trial call is let through; its success
closes the breaker, its failure opens it again for another `reset_s`. Not thread-safe: use it from one event loop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Literal

log = logging.getLogger(__name__)

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """`allow()` before a call, then `success()` or `failure()` with its outcome."""

    def __init__(self, name: str, *, failures: int = 3, reset_s: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if failures < 1 or reset_s <= 0:
            raise ValueError("a breaker needs failures >= 1 and reset_s > 0")
        self.name, self.threshold, self.reset_s, self._clock = name, failures, reset_s, clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_at: float | None = None  # when the half-open trial was let through
        self.opened = 0  # times it opened, for metrics and tests
        self.refused = 0  # calls refused while open

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        return "open" if self._clock() - self._opened_at < self.reset_s else "half_open"

    def allow(self) -> bool:
        """May a call go now? Closed: yes. Open: no. Half-open: yes for one trial at a time (a trial that never
        reports back lets another through after `reset_s`)."""
        state = self.state
        if state == "closed":
            return True
        now = self._clock()
        if state == "half_open" and (self._trial_at is None or now - self._trial_at >= self.reset_s):
            self._trial_at = now
            return True
        self.refused += 1
        return False

    def success(self) -> None:
        if self._opened_at is not None:
            log.info("%s: recovered, calls resume", self.name)
        self._failures, self._opened_at, self._trial_at = 0, None, None

    def failure(self) -> None:
        self._failures += 1
        if self._opened_at is not None or self._failures >= self.threshold:
            if self._opened_at is None or self._trial_at is not None:
                self.opened += 1
                log.warning("%s: %d failure(s) in a row, not called for %.1f s", self.name, self._failures,
                            self.reset_s)
            self._opened_at, self._trial_at = self._clock(), None
