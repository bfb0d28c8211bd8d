"""The production shape of the recommender's live state, in Redis, so a customer served by any worker gets the
same updated list and every worker's re-ranking policy learns from every reward.

`RedisLiveSignals` (`tools.marketing.ports.LiveSignals`):
- `<prefix>live:s:<conversation>`: a list of JSON entries (start marker, touches, lists shown), expiring
  `ttl_s` after the last write and capped at `MAX_ENTRIES`;
- `<prefix>live:hot:<epoch>`: a sorted set of decayed interaction counts per product (`tools.marketing.live.Decay`:
  increments grow with time within an epoch, so nothing ever rewrites the set; early in an epoch readers add
  the previous one).
A recommendation reads both in one round trip; recording a touch writes and reads back its session in one
MULTI/EXEC. Failures are logged (at most every `WARN_EVERY_S`) and read as "unknown": the caller uses the log.

`RedisPolicyShare` (`tools.marketing.bandit.serving.PolicyShare`): per policy generation, a hash of each worker's
cumulative statistics blob and a hash of their versions; a sync is one MULTI/EXEC (publish mine, read
versions) plus one HMGET of the blobs that changed. Keys expire `ttl_s` after the last publication.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from agent.breaker import CircuitBreaker
from tools.marketing.live import HOT_TAU_S, MAX_ENTRIES, SESSION_TTL_S, Decay
from tools.marketing.session import HOT_WEIGHTS, START_ENTRY, Session, Shown, Touch

log = logging.getLogger(__name__)
WARN_EVERY_S = 30.0
PREVIOUS_EPOCH_TAUS = 6.0  # read the previous epoch's counts until they have decayed by e^-6 (0.25%)
BANDIT_TTL_S = 30 * 24 * 3600


def _client(url: str, timeout_s: float, name: str) -> Redis:
    # A customer's reply waits on these calls: short timeouts, one retry on a fresh connection, then give up.
    # RESP2: flat replies parse faster than RESP3's nested pairs in the pure-Python parser.
    return Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, socket_keepalive=True,
                          retry=Retry(NoBackoff(), 1), client_name=name, protocol=2)


class RedisLiveSignals:
    def __init__(self, url: str, *, prefix: str = "kefu:", ttl_s: float = SESSION_TTL_S, tau_s: float = HOT_TAU_S,
                 timeout_s: float = 0.5, clock: Any = time.time, breaker: CircuitBreaker | None = None) -> None:
        self.prefix, self.ttl_s, self.clock = prefix, int(ttl_s), clock
        # the process's Redis breaker: while Redis is known to be down, no call (the event log answers instead)
        self.breaker = breaker or CircuitBreaker("redis live signals", failures=3, reset_s=5.0)
        self.decay = Decay(tau_s=tau_s)
        self._redis = _client(url, timeout_s, "kefu-live")
        self._warned = 0.0

    def _session_key(self, conversation_id: str) -> str:
        return f"{self.prefix}live:s:{conversation_id}"

    def _hot_key(self, epoch: int) -> str:
        return f"{self.prefix}live:hot:{epoch}"

    def _failed(self, what: str, exc: Exception) -> None:
        if isinstance(exc, RedisError | OSError):
            self.breaker.failure()
        now = time.monotonic()
        if now - self._warned >= WARN_EVERY_S:
            self._warned = now
            log.warning("live signals: %s failed (%s: %s); using the event log", what, type(exc).__name__, exc)

    async def _append(self, conversation_id: str, entry: Mapping[str, Any]) -> None:
        key = self._session_key(conversation_id)
        if not self.breaker.allow():
            return
        try:
            pipe = self._redis.pipeline(transaction=False)
            pipe.rpush(key, json.dumps(entry, ensure_ascii=False))
            pipe.ltrim(key, -MAX_ENTRIES, -1)
            pipe.expire(key, self.ttl_s)
            await pipe.execute()
        except (RedisError, OSError) as exc:
            self._failed("recording", exc)
        else:
            self.breaker.success()

    async def start(self, conversation_id: str) -> None:
        await self._append(conversation_id, START_ENTRY)

    async def shown(self, conversation_id: str, entry: Shown) -> None:
        await self._append(conversation_id, entry.entry())

    async def touch(self, conversation_id: str, entry: Touch) -> Session | None:
        key = self._session_key(conversation_id)
        epoch, increment = self.decay.stored(HOT_WEIGHTS.get(entry.kind, 1.0), self.clock())
        hot = self._hot_key(epoch)
        if not self.breaker.allow():
            return None
        try:
            pipe = self._redis.pipeline(transaction=True)
            pipe.rpush(key, json.dumps(entry.entry(), ensure_ascii=False))
            pipe.ltrim(key, -MAX_ENTRIES, -1)
            pipe.expire(key, self.ttl_s)
            pipe.zincrby(hot, increment, entry.product_id)
            pipe.expire(hot, int(3 * self.decay.epoch_s))
            pipe.lrange(key, 0, -1)
            *_, entries = await pipe.execute()
            self.breaker.success()
            return Session.from_entries([json.loads(e) for e in entries])
        except (RedisError, OSError, ValueError, KeyError) as exc:
            self._failed("recording an interaction", exc)
            return None

    async def read(self, conversation_id: str, hot: int = 20) -> tuple[Session | None, dict[str, float]]:
        now = self.clock()
        epoch = self.decay.epoch(now)
        if not self.breaker.allow():
            return None, {}
        try:
            pipe = self._redis.pipeline(transaction=False)
            pipe.lrange(self._session_key(conversation_id), 0, -1)
            pipe.zrevrange(self._hot_key(epoch), 0, hot - 1, withscores=True)
            recent = now - epoch * self.decay.epoch_s < PREVIOUS_EPOCH_TAUS * self.decay.tau_s
            if recent:  # later, what the previous epoch counted has decayed to almost nothing
                pipe.zrevrange(self._hot_key(epoch - 1), 0, hot - 1, withscores=True)
            entries, current, *rest = await pipe.execute()
            self.breaker.success()
            session = Session.from_entries([json.loads(e) for e in entries]) if entries else None
        except (RedisError, OSError, ValueError, KeyError) as exc:
            self._failed("reading", exc)
            return None, {}
        counts: dict[str, float] = {}
        for e, rows in ((epoch, current), (epoch - 1, rest[0] if rest else [])):
            for member, score in rows:
                pid = member.decode() if isinstance(member, bytes) else str(member)
                counts[pid] = counts.get(pid, 0.0) + self.decay.count(float(score), e, now)
        top = sorted(counts.items(), key=lambda pc: -pc[1])[:hot]
        return session, dict(top)

    async def aclose(self) -> None:
        await self._redis.aclose()


class RedisPolicyShare:
    def __init__(self, url: str, *, prefix: str = "kefu:", ttl_s: float = BANDIT_TTL_S, timeout_s: float = 2.0) -> None:
        self.prefix, self.ttl_s = prefix, int(ttl_s)
        self._redis = _client(url, timeout_s, "kefu-bandit")

    async def exchange(
        self, generation: str, worker: str, mine: bytes | None, version: int, seen: Mapping[str, int]
    ) -> dict[str, tuple[int, bytes]]:
        stats, versions = f"{self.prefix}bandit:{generation}:stats", f"{self.prefix}bandit:{generation}:versions"
        pipe = self._redis.pipeline(transaction=True)
        if mine is not None:
            pipe.hset(stats, worker, mine)
            pipe.hset(versions, worker, str(version))
            pipe.expire(stats, self.ttl_s)
            pipe.expire(versions, self.ttl_s)
        pipe.hgetall(versions)
        *_, current = await pipe.execute()
        latest = {(k.decode() if isinstance(k, bytes) else k): int(v) for k, v in current.items()}
        changed = [w for w, v in latest.items() if w != worker and seen.get(w) != v]
        if not changed:
            return {}
        blobs = await self._redis.hmget(stats, changed)
        return {w: (latest[w], blob) for w, blob in zip(changed, blobs, strict=True) if blob is not None}

    async def aclose(self) -> None:
        await self._redis.aclose()
