"""Rate limits: how fast one client (IP) or one conversation may open conversations, send messages, rate a
chat or try operator passwords. Moving windows from the `limits` library, kept in Redis when the service has
one (every worker counts the same hits) and in memory otherwise. A refusal is `429 rate_limited` with
`Retry-After`; `KEFU_RATE_LIMITS=off` turns every limit off (load benchmarks on 127.0.0.1).

A limit store that is down or slow never holds a message up: each call is bounded (`timeout_s`) and, behind the
process's Redis breaker, not made at all while Redis is known to be down (nothing is limited meanwhile).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from agent.breaker import CircuitBreaker

log = logging.getLogger(__name__)


class RateLimited(Exception):
    """Over a limit; `retry_after` is whole seconds until the next attempt may pass."""

    def __init__(self, kind: str, retry_after: int) -> None:
        self.message = f"Too many requests; try again in {retry_after} s."
        super().__init__(self.message)
        self.kind, self.retry_after = kind, retry_after


class RateLimits:
    """`await limits.hit(kind, key)` counts one attempt and raises `RateLimited` when over `kind`'s limit."""

    def __init__(self, rules: dict[str, str], *, enabled: bool = True, redis_url: str | None = None,
                 prefix: str = "kefu:", breaker: CircuitBreaker | None = None, timeout_s: float = 0.5) -> None:
        self.enabled = enabled
        self.breaker = breaker if redis_url else None  # (the in-memory store cannot be down)
        self.timeout_s = timeout_s
        self.rules: dict[str, RateLimitItem] = {kind: parse(spec) for kind, spec in rules.items()}
        if redis_url:
            storage = storage_from_string(f"async+{redis_url}", implementation="redispy", key_prefix=f"{prefix}rl")
        else:
            storage = storage_from_string("async+memory://")
        self._limiter = MovingWindowRateLimiter(storage)

    async def hit(self, kind: str, key: str) -> None:
        if not self.enabled:
            return
        item = self.rules[kind]
        if self.breaker is not None and not self.breaker.allow():
            return  # Redis is down: serve rather than wait for it
        try:
            hit = self._limiter.hit(item, kind, key)
            # (bounded only for Redis: the in-memory store cannot stall, and its lock is bound to the loop it
            # was first used on, which a wait_for task on another loop (TestClient's portal) cannot take)
            allowed = await (asyncio.wait_for(hit, self.timeout_s) if self.breaker is not None else hit)
        except Exception as exc:  # the limit store is down or slow: serve rather than refuse everyone
            if self.breaker is not None:
                self.breaker.failure()
            log.warning("rate limit store unavailable (%s); %s not limited", type(exc).__name__, kind)
            return
        if self.breaker is not None:
            self.breaker.success()
        if not allowed:
            stats = await self._limiter.get_window_stats(item, kind, key)
            raise RateLimited(kind, max(1, math.ceil(stats.reset_time - time.time())))

    async def reset(self, kind: str, key: str) -> None:
        """Forget `key`'s hits of `kind` (a successful sign-in clears its failures)."""
        if not self.enabled:
            return
        try:
            await self._limiter.clear(self.rules[kind], kind, key)
        except Exception as exc:  # the limit store is down: the count expires on its own
            log.warning("rate limit store unavailable (%s); %s not reset", type(exc).__name__, kind)


class SocketSlots:
    """Open sockets per client address in this worker: beyond `cap`, a new one is refused (a client cannot
    hold the worker's connections). Off with the rate limits."""

    def __init__(self, cap: int, *, enabled: bool = True) -> None:
        self.cap, self.enabled = cap, enabled
        self._open: dict[str, int] = {}

    def take(self, ip: str) -> bool:
        if self.enabled and self._open.get(ip, 0) >= self.cap:
            return False
        self._open[ip] = self._open.get(ip, 0) + 1
        return True

    def give_back(self, ip: str) -> None:
        left = self._open.get(ip, 0) - 1
        if left > 0:
            self._open[ip] = left
        else:
            self._open.pop(ip, None)
