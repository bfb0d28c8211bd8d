"""The re-ranking policy as the chat serves it: one `LinearThompson` per worker, learning online, loaded from
the policy file that `kefu eval bandit --switch` writes, and shared across workers.

Learning online. A served list counts at once as an observation with reward 0 for each product shown
(`observe`), and a reward that arrives later (a click, add to cart, purchase: `ProductInteracted`) only adds
the difference to the reward terms (`credit`). That is exactly the statistics of learning from the list
with its final reward, which is what `kefu train bandit` does from the log; so online and offline agree.
Rewards move the posterior mean at once; the covariance (an O(d^3) inverse, computed in another thread while
serving goes on) catches up with the lists served at each `sync`, and sooner when the lag grows past 2% of
what it learnt.

Across workers (the production shape). The model's state is additive sufficient statistics (B, f, n, r·r),
so each worker publishes its own *cumulative* contribution since the policy file was loaded, as one blob in
a shared hash (`PolicyShare`; Redis in `server.infra.live_redis`), and every `sync_s` seconds adds the
change in every other worker's blob to its copy. Writes are idempotent (a blob replaces the worker's last),
nothing is counted twice, a lost sync is made good by the next, and a dead worker's learning stays. The
shared state is keyed by the policy file's fingerprint (`generation`): switching to a new file starts a new
pool, and rewards for lists served by an older generation are not credited to the new one. A worker sees
what it learnt itself at once and what the others learnt within `sync_s`. Embedded (no share): in process.

Switching: the file at the configured path is the policy; `sync` notices a replaced file and loads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import threading
import time
import uuid
import zlib
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tools.marketing.bandit.features import Candidate
from tools.marketing.bandit.policy import LinearThompson, StatsDelta, rank
from tools.marketing.bandit.records import Served

log = logging.getLogger(__name__)

# The chat's policy before any file is switched on: a prior that ranks as the recommender does (`score_prior`)
# and explores around it.
CHAT_POLICY: dict[str, Any] = {"name": "linear_thompson", "score_prior": 3.0, "exploration": 1.0, "epsilon": 0.05,
                               "samples": 256}


# The covariance may lag by this many observations, or this share of all it learnt, before a list waits for it.
MIN_DEFERRED, DEFERRED_SHARE = 32, 0.02


class PolicyShare(Protocol):
    """Where workers pool what their policies learnt (see the module docstring)."""

    async def exchange(
        self, generation: str, worker: str, mine: bytes | None, version: int, seen: Mapping[str, int]
    ) -> dict[str, tuple[int, bytes]]:
        """Publish this worker's cumulative statistics (`mine`, None when unchanged) at `version`, and return
        the other workers' (version, blob) whose version differs from `seen`. Raises on a store failure."""
        ...

    async def aclose(self) -> None: ...


def encode_stats(stats: StatsDelta) -> bytes:
    """Cumulative statistics as a compact blob: the upper triangle of B (symmetric), f, n, r·r; zlib-packed."""
    dim = len(stats.f)
    head = np.array([dim, stats.n, stats.rr], dtype=np.float64)
    body = np.concatenate([head, stats.b[np.triu_indices(dim)], stats.f])
    return zlib.compress(body.astype("<f8").tobytes(), 1)


def decode_stats(blob: bytes, dim: int) -> StatsDelta:
    values = np.frombuffer(zlib.decompress(blob), dtype="<f8")
    if len(values) < 3 or int(values[0]) != dim:
        raise ValueError(f"statistics of dim {int(values[0]) if len(values) else '?'}, expected {dim}")
    iu = np.triu_indices(dim)
    upper = values[3:3 + len(iu[0])]
    f = values[3 + len(iu[0]):]
    if len(f) != dim:
        raise ValueError("truncated statistics")
    b = np.zeros((dim, dim))
    b[iu] = upper
    b = b + np.triu(b, 1).T
    return StatsDelta(b, f.copy(), int(values[1]), float(values[2]))


def _zero(dim: int) -> StatsDelta:
    return StatsDelta(np.zeros((dim, dim)), np.zeros(dim), 0, 0.0)


def _plus(a: StatsDelta, b: StatsDelta, sign: float = 1.0) -> StatsDelta:
    return StatsDelta(a.b + sign * b.b, a.f + sign * b.f, a.n + int(sign) * b.n, a.rr + sign * b.rr)


def load_policy(path: Path | None, *, seed: int | None = None) -> tuple[LinearThompson, str]:
    """The policy in `path` and its fingerprint; the chat's fresh prior when there is no file (or a damaged one,
    which is logged)."""
    rng_seed = seed if seed is not None else int.from_bytes(os.urandom(4), "little")
    if path is not None and Path(path).exists():
        try:
            data = Path(path).read_bytes()
            policy = LinearThompson.load(path, seed=rng_seed)
            return policy, "file-" + hashlib.sha256(data).hexdigest()[:16]
        except (OSError, ValueError, KeyError) as exc:
            log.warning("bandit: cannot load %s (%s); serving a fresh policy", path, exc)
    policy = LinearThompson(**CHAT_POLICY, seed=rng_seed)
    config = json.dumps(policy.config(), sort_keys=True)
    return policy, "prior-" + hashlib.sha256(config.encode()).hexdigest()[:16]


class Reranker:
    """Serves and learns (thread-safe: serving runs in worker threads), shares through `share`, reloads `path`."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        share: PolicyShare | None = None,
        sync_s: float = 2.0,
        worker: str | None = None,
        seed: int | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.share = share
        self.sync_s = sync_s
        self.worker = worker or f"{os.uname().nodename}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._seed = seed
        self._lock = threading.Lock()
        self._rng = np.random.default_rng(seed)
        self._sync_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._refresher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bandit-refresh")
        self._refreshing = False
        self._last_sync = 0.0
        self._load()

    def _load(self) -> None:
        policy, generation = load_policy(self.path, seed=self._seed)
        with self._lock:
            self.policy, self.generation = policy, generation
            self._file = self._stamp()
            self._mine_version, self._pushed_version = 0, -1  # what it learnt itself is `policy.learnt`
            self._others: dict[str, tuple[int, StatsDelta]] = {}
        log.info("bandit: serving %s (%s, %d lists learnt)", policy.name, generation, policy.n)

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path) if self.path is not None else None
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size) if st is not None else None

    # -- serving and learning ------------------------------------------------------------------------------
    def serve(
        self, context: Mapping[str, Any], candidates: Sequence[Candidate], *, slots: int,
        per_category: int | None = None,
    ) -> Served:
        """Rank the candidates, drawing the first `slots` positions with their propensities, and count each
        position shown as an observation with reward 0 until a reward arrives (`credit`)."""
        with self._lock:
            served = rank(self.policy, context, candidates, self._rng, slots=slots, per_category=per_category,
                          generation=self.generation)
            by_id = {c.product_id: c for c in served.candidates}
            self.policy.observe([({**served.context, "slot": slot}, by_id[pid])
                                 for slot, pid in enumerate(served.ranking[:slots], start=1)], defer=True)
            if self.policy.deferred > max(MIN_DEFERRED, DEFERRED_SHARE * self.policy.n) and not self._refreshing:
                self._refreshing = True  # too much not yet in the covariance: catch up, off this request
                self._refresher.submit(self._refresh)
            self._mine_version += 1
        return served

    def credit(self, served: Served, product_id: str, reward: float, previous: float = 0.0) -> bool:
        """A reward for a product of a served list (its earlier reward `previous` already counted). False when
        the list was served by another generation or the product was not shown."""
        slot, candidate = served.slot_of(product_id), served.candidate(product_id)
        if served.generation != self.generation or slot is None or candidate is None:
            return False
        with self._lock:
            self.policy.credit({**served.context, "slot": slot}, candidate, reward, previous)
            self._mine_version += 1
        return True

    # -- sharing -------------------------------------------------------------------------------------------
    def due(self) -> bool:
        return time.monotonic() - self._last_sync >= self.sync_s

    def sync_soon(self) -> None:
        """Start a `sync` in the background when one is due (never waits for it)."""
        if not self.due() or (self._task is not None and not self._task.done()):
            return
        self._last_sync = time.monotonic()
        with contextlib.suppress(RuntimeError):  # no running loop: the next caller will start it
            self._task = asyncio.get_running_loop().create_task(self.sync())

    async def sync(self) -> None:
        """Load a replaced policy file; publish what this worker learnt and add what the others learnt since the
        last sync. Failures are logged: serving goes on with what this worker knows."""
        async with self._sync_lock:
            self._last_sync = time.monotonic()
            if self._stamp() != self._file:
                await asyncio.to_thread(self._load)
            await asyncio.wrap_future(self._refresher.submit(self._refresh))  # after any refresh under way
            if self.share is None:
                return
            with self._lock:
                generation = self.generation
                version = self._mine_version
                learnt = self.policy.learnt
                mine = None if version == self._pushed_version else StatsDelta(
                    learnt.b.copy(), learnt.f.copy(), learnt.n, learnt.rr)
                seen = {w: v for w, (v, _) in self._others.items()}
            try:
                blob = await asyncio.to_thread(encode_stats, mine) if mine is not None else None
                changed = await self.share.exchange(generation, self.worker, blob, version, seen)
            except Exception as exc:  # the share is down or garbled: keep serving, try again next time
                log.warning("bandit: sharing what was learnt failed (%s: %s)", type(exc).__name__, exc)
                return
            if blob is not None:
                self._pushed_version = version
            if changed:
                await asyncio.to_thread(self._absorb, generation, changed)

    def _refresh(self) -> None:
        """Invert B without holding the policy (serving goes on meanwhile), then install the inverse."""
        try:
            with self._lock:
                policy, started = self.policy, self.policy.refresh_start()
            if started is None:
                return
            inverse = np.linalg.inv(started[0])
            with self._lock:
                if self.policy is policy:
                    policy.refresh_finish(started, inverse)
        finally:
            self._refreshing = False

    def _absorb(self, generation: str, changed: Mapping[str, tuple[int, bytes]]) -> None:
        dim = self.policy.featurizer.dim
        decoded: dict[str, tuple[int, StatsDelta]] = {}
        for worker, (version, blob) in changed.items():
            if worker == self.worker:
                continue
            try:
                decoded[worker] = (version, decode_stats(blob, dim))
            except (ValueError, zlib.error) as exc:
                log.warning("bandit: ignoring worker %s's statistics (%s)", worker, exc)
        with self._lock:
            if generation != self.generation:  # reloaded meanwhile: these belong to the old file
                return
            total = _zero(dim)
            for worker, (version, stats) in decoded.items():
                before = self._others.get(worker, (0, _zero(dim)))[1]
                total = _plus(total, _plus(stats, before, -1.0))
                self._others[worker] = (version, stats)
            if total.n or np.any(total.f) or np.any(total.b):
                self.policy.absorb(total)

    async def aclose(self) -> None:
        """Publish what is left, then let go of the share."""
        if self._task is not None and not self._task.done():
            with contextlib.suppress(Exception):
                await self._task
        if self.share is not None:
            with contextlib.suppress(Exception):
                await self.sync()
            await self.share.aclose()
        self._refresher.shutdown(wait=False)
