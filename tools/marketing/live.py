"""Live signals in process (`MemoryLiveSignals`, the embedded shape: one worker) and the time decay of the
trending count that the Redis implementation (`server.infra.live_redis`) shares.

Trending ("hot") items: every interaction adds its kind's weight (`session.HOT_WEIGHTS`) to its product's
count, and counts decay as exp(-age / tau), so what customers touch now across all conversations rises and
fades within hours. `trend_shares` turns counts into [0, 1] shares with a prior, so one click in a quiet
store does not make a product the hottest thing there is.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tools.marketing.session import HOT_WEIGHTS, START_ENTRY, Session, Shown, Touch

SESSION_TTL_S = 24 * 3600
HOT_TAU_S = 6 * 3600
HOT_PRIOR = 5.0  # trend share = count / (largest count + prior)
MAX_ENTRIES = 1000  # per session; beyond it the oldest go (with the start marker: the reader uses the log)


@dataclass(frozen=True, slots=True)
class Decay:
    """Exponential decay kept without rewriting counts: an increment at time t is stored as
    w * exp((t - t0) / tau) in the sorted set of its epoch (t0 = the epoch's start), so stored scores keep
    their order, and the decayed count now is score * exp(-(now - t0) / tau). An epoch lasts `epoch_taus`
    time constants (bounded exponents); a reader adds the previous epoch, whose counts have decayed by
    exp(-epoch_taus) when it ends, so nothing jumps at the boundary."""

    tau_s: float = HOT_TAU_S
    epoch_taus: float = 20.0

    @property
    def epoch_s(self) -> float:
        return self.tau_s * self.epoch_taus

    def epoch(self, now: float) -> int:
        return int(now // self.epoch_s)

    def stored(self, weight: float, now: float) -> tuple[int, float]:
        """(epoch, the increment to store) for `weight` at `now`."""
        e = self.epoch(now)
        return e, weight * math.exp((now - e * self.epoch_s) / self.tau_s)

    def count(self, score: float, epoch: int, now: float) -> float:
        """A stored score of `epoch` as a count decayed to `now`."""
        return score * math.exp(-(now - epoch * self.epoch_s) / self.tau_s)


def trend_shares(hot: Mapping[str, float], prior: float = HOT_PRIOR) -> dict[str, float]:
    """Trending counts as shares in [0, 1): count / (largest count + prior)."""
    if not hot:
        return {}
    top = max(hot.values()) + prior
    return {p: c / top for p, c in hot.items() if c > 0}


class MemoryLiveSignals:
    """`LiveSignals` in this process: sessions (at most `max_sessions`, least recently used dropped; idle ones
    expire after `ttl_s`) and decayed trending counts. Enough for the embedded shape, where one process
    serves every conversation."""

    def __init__(self, *, ttl_s: float = SESSION_TTL_S, tau_s: float = HOT_TAU_S, max_sessions: int = 50_000,
                 clock: Callable[[], float] = time.time) -> None:
        self.ttl_s, self.tau_s, self.max_sessions, self.clock = ttl_s, tau_s, max_sessions, clock
        self._sessions: OrderedDict[str, tuple[float, list[dict[str, Any]]]] = OrderedDict()
        self._hot: dict[str, tuple[float, float]] = {}  # product -> (count, when last updated)

    def _entries(self, conversation_id: str, create: bool) -> list[dict[str, Any]] | None:
        now = self.clock()
        found = self._sessions.get(conversation_id)
        if found is not None and found[0] < now:
            del self._sessions[conversation_id]
            found = None
        if found is None:
            if not create:
                return None
            found = (0.0, [])
        self._sessions[conversation_id] = (now + self.ttl_s, found[1])
        self._sessions.move_to_end(conversation_id)
        while len(self._sessions) > self.max_sessions:
            self._sessions.popitem(last=False)
        return found[1]

    def _append(self, conversation_id: str, entry: dict[str, Any]) -> list[dict[str, Any]]:
        entries = self._entries(conversation_id, create=True)
        assert entries is not None
        entries.append(entry)
        del entries[:-MAX_ENTRIES]
        return entries

    async def start(self, conversation_id: str) -> None:
        self._append(conversation_id, dict(START_ENTRY))

    async def shown(self, conversation_id: str, entry: Shown) -> None:
        self._append(conversation_id, entry.entry())

    async def touch(self, conversation_id: str, entry: Touch) -> Session | None:
        entries = self._append(conversation_id, entry.entry())
        now = self.clock()
        count, when = self._hot.get(entry.product_id, (0.0, now))
        self._hot[entry.product_id] = (count * math.exp(-(now - when) / self.tau_s) + HOT_WEIGHTS.get(entry.kind, 1.0),
                                       now)
        return Session.from_entries(entries)

    async def read(self, conversation_id: str, hot: int = 20) -> tuple[Session | None, dict[str, float]]:
        entries = self._entries(conversation_id, create=False)
        now = self.clock()
        counts = ((p, c * math.exp(-(now - t) / self.tau_s)) for p, (c, t) in self._hot.items())
        top = heapq.nlargest(hot, counts, key=lambda pc: pc[1])
        return (Session.from_entries(entries) if entries is not None else None), dict(top)

    async def aclose(self) -> None:
        return None
