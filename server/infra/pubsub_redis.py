"""Redis pub/sub across workers: a customer on one worker and an operator on another see the same frames.

Same port as `InProcessPubSub` (`server.infra.pubsub.FramePubSub`). Per process: one Redis connection publishes
(frames as JSON on `<prefix><channel>`), and one pattern subscription (`<prefix>*`) read by a single task
fans frames out to local bounded queues. A pattern rather than a subscription per conversation: one
confirmation at start-up (so a frame published right after `subscribe` returns is never missed), one
re-subscription after a reconnect, at the cost of every worker reading every frame (cheap at a store's scale).

Redis is a courier, not the record: events are persisted before they are published, so a frame lost while
Redis is down or restarting is recovered by the client's `resume`. Publishing never raises (it logs), and the
reader reconnects with capped exponential backoff.

Same-worker delivery never waits on Redis: `publish` hands the frame to this worker's subscribers at once and
puts it in a bounded outbox that one sender task forwards to Redis for the other workers (the reader skips the
frames this worker sent, by their `origin`). A slow or partitioned Redis therefore cannot stall a reply streamed
token by token; when the outbox is full its oldest frame is dropped. A circuit breaker (shared with the other
Redis users of the process) stops calling Redis after a few failures in a row: frames for other workers are
dropped meanwhile (clients `resume`), and `subscribe` does not wait for a subscription that cannot come.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import uuid
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from agent.breaker import CircuitBreaker
from server.infra.pubsub import Frame, LocalQueues

log = logging.getLogger(__name__)

SEND_BATCH = 64  # frames at most in one pipeline to Redis
READY_WAIT_S = 2.0  # how long `subscribe` waits for the pattern subscription before going on without it
BACKOFF_MIN_S, BACKOFF_MAX_S = 0.1, 5.0


def _redacted(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}" if sep else url


class RedisPubSub:
    """Frames through Redis; local queues per subscriber, dropping the oldest frame when one is full."""

    def __init__(self, url: str, *, prefix: str = "kefu:", queue_size: int = 256, timeout_s: float = 2.0,
                 breaker: CircuitBreaker | None = None, outbox_size: int = 1024) -> None:
        self.url, self.prefix = url, prefix
        self._local = LocalQueues(queue_size)
        self.breaker = breaker or CircuitBreaker("redis", failures=3, reset_s=5.0)
        self._outbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue(outbox_size)
        self._sender: asyncio.Task[None] | None = None
        self.dropped = 0  # frames for other workers not sent (outbox full, Redis down)
        self._sending = False
        self._name = f"kefu-{os.getpid()}-{uuid.uuid4().hex[:8]}"  # lets ops (and tests) find our connections
        # Short timeouts and few retries: a customer's turn waits on `publish`, and a lost frame is recoverable.
        # One pooled connection in practice (one sender task uses it, a batch at a time); pooled rather than a
        # single-connection client so a batch can go as one pipeline.
        self._pub = Redis.from_url(url, max_connections=4, socket_timeout=timeout_s,
                                   socket_connect_timeout=timeout_s, socket_keepalive=True,
                                   retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
                                   client_name=f"{self._name}-pub")
        self._timeout_s = timeout_s
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._closed = False

    @property
    def client_name(self) -> str:
        """Prefix of this hub's Redis client names (`-pub`, `-sub`)."""
        return self._name

    async def publish(self, channel: str, frame: Frame) -> None:
        """This worker's subscribers get `frame` now; the other workers' through Redis, never awaited here."""
        self._local.deliver(channel, frame)
        if self.breaker.state == "open":  # Redis is down: other workers' clients recover the frame with `resume`
            self.dropped += 1
            return
        data = json.dumps({"origin": self._name, "frame": frame}, ensure_ascii=False, default=str)
        if self._outbox.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self._outbox.get_nowait()
                self.dropped += 1
        self._outbox.put_nowait((channel, data))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.get_running_loop().create_task(self._send_forever(), name=f"{self._name}-sender")

    async def _send_forever(self) -> None:
        warned = 0.0
        while True:
            batch = [await self._outbox.get()]
            while len(batch) < SEND_BATCH and not self._outbox.empty():
                batch.append(self._outbox.get_nowait())
            if not self.breaker.allow():
                self.dropped += len(batch)
                continue
            self._sending = True
            try:
                try:
                    await self._send(batch)
                except RedisConnectionError:  # a connection Redis closed (restart, CLIENT KILL): once more, fresh
                    await self._send(batch)
            except (RedisError, OSError) as exc:  # the event is stored; the client's `resume` recovers the frame
                self.breaker.failure()
                self.dropped += len(batch)
                now = asyncio.get_running_loop().time()
                if now - warned >= 5.0:
                    warned = now
                    log.warning("redis publish to %s failed (%s: %s); other workers' clients recover with resume",
                                batch[0][0], type(exc).__name__, exc)
            else:
                self.breaker.success()
            finally:
                self._sending = False

    async def _send(self, batch: list[tuple[str, str]]) -> None:
        """The frames that queued up while the last send was out go in one round trip (a pipeline, no
        transaction): a streamed reply's frames come faster than one PUBLISH each can be written and answered."""
        if len(batch) == 1:
            await self._pub.publish(self.prefix + batch[0][0], batch[0][1])
            return
        async with self._pub.pipeline(transaction=False) as pipe:
            for channel, data in batch:
                pipe.publish(self.prefix + channel, data)
            await pipe.execute()

    async def flush(self, timeout: float = 2.0) -> bool:
        """Wait until the outbox is empty (frames handed to Redis or dropped); False on timeout."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not self._outbox.empty() or self._sending:
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[asyncio.Queue[Frame]]:
        self._start()
        with self._local.queue(channel) as queue:
            if not self._ready.is_set() and self.breaker.state == "closed":
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._ready.wait(), READY_WAIT_S)
            yield queue

    def subscribers(self, channel: str) -> int:
        """Subscribers in this process (other workers' are not counted)."""
        return self._local.count(channel)

    def heard(self, channel: str) -> bool:
        """Always: another worker's subscribers may hear it (this one cannot know)."""
        return True

    async def wait_ready(self, timeout: float | None = None) -> bool:
        """Start reading and wait for the subscription to be confirmed; False on timeout."""
        self._start()
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def aclose(self) -> None:
        self._closed = True
        if self._sender is not None:
            await self.flush(0.5)  # frames already published reach Redis if it answers
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._pub.aclose()

    # ---------------------------------------------------------------- reader

    def _start(self) -> None:
        """The reader belongs to the running loop, so it starts with the first subscriber, not in __init__."""
        if self._reader is None or self._reader.done():
            self._reader = asyncio.get_running_loop().create_task(self._read_forever(), name=f"{self._name}-reader")

    def _deliver(self, channel: str, data: bytes | str) -> None:
        if not self._local.count(channel):
            return
        try:
            frame: Frame = json.loads(data)
        except ValueError:
            log.warning("ignoring a frame that is not JSON on %s", channel)
            return
        if isinstance(frame, dict) and "origin" in frame and "frame" in frame and "type" not in frame:
            if frame["origin"] == self._name:
                return  # this worker's own frame: its subscribers had it when it was published
            frame = frame["frame"]
        self._local.deliver(channel, frame)

    async def _read_forever(self) -> None:
        delay, failures = BACKOFF_MIN_S, 0
        while not self._closed:
            client = Redis.from_url(self.url, socket_connect_timeout=self._timeout_s, socket_keepalive=True,
                                    health_check_interval=15, retry=Retry(ExponentialBackoff(), 0),
                                    client_name=f"{self._name}-sub")
            pubsub = client.pubsub()
            try:
                await pubsub.psubscribe(self.prefix + "*")
                while True:
                    message = await pubsub.get_message(timeout=5.0)
                    if message is None:
                        continue
                    kind = message["type"]
                    if kind == "pmessage":
                        channel = message["channel"]
                        channel = channel.decode() if isinstance(channel, bytes) else channel
                        self._deliver(channel.removeprefix(self.prefix), message["data"])
                    elif kind == "psubscribe":
                        self.breaker.success()
                        if failures:
                            log.info("redis pub/sub reconnected to %s after %d failure(s)", _redacted(self.url),
                                     failures)
                        delay, failures = BACKOFF_MIN_S, 0
                        self._ready.set()
            except (RedisError, OSError) as exc:
                self._ready.clear()
                self.breaker.failure()
                failures += 1
                log.warning("redis pub/sub connection lost (%s: %s); retrying in %.1f s", type(exc).__name__, exc,
                            delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX_S)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()
                with contextlib.suppress(RedisError, OSError):
                    await client.aclose()

