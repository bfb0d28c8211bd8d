"""In-process publish/subscribe of conversation frames (Redis takes over across workers later).

Each subscriber gets its own bounded queue; a subscriber too slow to keep up loses its oldest
frames rather than blocking the publisher, and recovers them with `resume` (frames carry `seq`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

Frame = dict[str, Any]


class InProcessPubSub:
    def __init__(self, queue_size: int = 256) -> None:
        self._subs: dict[str, set[asyncio.Queue[Frame]]] = defaultdict(set)
        self._queue_size = queue_size

    async def publish(self, channel: str, frame: Frame) -> None:
        for queue in list(self._subs.get(channel, ())):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(frame)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue[Frame]]:
        queue: asyncio.Queue[Frame] = asyncio.Queue(self._queue_size)
        self._subs[channel].add(queue)
        try:
            yield queue
        finally:
            self._subs[channel].discard(queue)
            if not self._subs[channel]:
                del self._subs[channel]

    def subscribers(self, channel: str) -> int:
        return len(self._subs.get(channel, ()))
