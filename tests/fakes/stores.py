"""An in-memory event store with the SQL store's guarantees (gap-free per-conversation sequence numbers)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from agent.events import Event


class MemoryEventStore:
    """Gap-free per-conversation sequence numbers, like the SQL store."""

    def __init__(self) -> None:
        self.logs: dict[str, list[Event]] = {}
        self._lock = asyncio.Lock()

    async def append(self, conversation_id: str, events: Sequence[Event]) -> list[Event]:
        async with self._lock:
            log = self.logs.setdefault(conversation_id, [])
            for event in events:
                event.seq = len(log) + 1
                log.append(event)
            return list(events)

    async def load(self, conversation_id: str, after: int = 0) -> list[Event]:
        return [e for e in self.logs.get(conversation_id, []) if e.seq > after]
