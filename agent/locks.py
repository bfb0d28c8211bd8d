"""One asyncio lock per key (a conversation), kept to a bounded number: idle locks are dropped when the table
outgrows its size, never a held one."""

from __future__ import annotations

import asyncio


class KeyedLocks:
    """`locks(key)` is the same `asyncio.Lock` for the same key while anyone may hold it."""

    def __init__(self, max_keys: int = 4096) -> None:
        self.max_keys = max_keys
        self._locks: dict[str, asyncio.Lock] = {}

    def __call__(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            if len(self._locks) > self.max_keys:
                idle = [k for k, lk in self._locks.items() if not lk.locked()][: self.max_keys // 2]
                for k in idle:
                    del self._locks[k]
            lock = self._locks[key] = asyncio.Lock()
        return lock
