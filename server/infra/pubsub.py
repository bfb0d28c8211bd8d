"""Publish/subscribe of conversation frames: the `FramePubSub` port and its in-process hub.

Each subscriber gets its own bounded queue; a subscriber too slow to keep up loses its oldest
frames rather than blocking the publisher, and recovers them with `resume` (frames carry `seq`).
Across workers `server.infra.pubsub_redis.RedisPubSub` implements the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

Frame = dict[str, Any]


class FramePubSub(Protocol):
    """What channels and the console need of pub/sub; the in-process hub and the Redis one both fit."""

    async def publish(self, channel: str, frame: Frame) -> None: ...

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[asyncio.Queue[Frame]]: ...

    def subscribers(self, channel: str) -> int: ...

    def heard(self, channel: str) -> bool:
        """Whether a frame published on `channel` may reach anyone (False: building it can be skipped)."""
        ...

    async def aclose(self) -> None: ...


class LocalQueues:
    """This process's subscribers: one bounded queue each, per channel. A full queue drops its oldest frame
    (its subscriber recovers it with `resume`) rather than block the publisher. Both hubs deliver through it."""

    def __init__(self, queue_size: int = 256) -> None:
        self._subs: dict[str, set[asyncio.Queue[Frame]]] = defaultdict(set)
        self._queue_size = queue_size

    def count(self, channel: str) -> int:
        return len(self._subs.get(channel, ()))

    def deliver(self, channel: str, frame: Frame) -> None:
        for queue in list(self._subs.get(channel, ())):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(frame)

    @contextlib.contextmanager
    def queue(self, channel: str) -> Iterator[asyncio.Queue[Frame]]:
        """A new subscriber's queue, registered while the block runs."""
        queue: asyncio.Queue[Frame] = asyncio.Queue(self._queue_size)
        self._subs[channel].add(queue)
        try:
            yield queue
        finally:
            self._subs[channel].discard(queue)
            if not self._subs[channel]:
                del self._subs[channel]


class InProcessPubSub:
    def __init__(self, queue_size: int = 256) -> None:
        self._local = LocalQueues(queue_size)

    async def publish(self, channel: str, frame: Frame) -> None:
        self._local.deliver(channel, frame)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue[Frame]]:
        with self._local.queue(channel) as queue:
            yield queue

    def subscribers(self, channel: str) -> int:
        return self._local.count(channel)

    def heard(self, channel: str) -> bool:
        """In one process only its own subscribers hear a frame."""
        return self._local.count(channel) > 0

    async def aclose(self) -> None:
        """Nothing to release in process; here so both hubs close the same way."""
