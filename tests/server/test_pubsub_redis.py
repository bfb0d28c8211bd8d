"""Redis pub/sub on a real Redis: fan-out, two workers (two hubs), survival of killed connections."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from server.infra.pubsub_redis import RedisPubSub
from tests.services import redis_url

pytestmark = pytest.mark.integration
WAIT = 10.0


@pytest.fixture
def url() -> str:
    return redis_url()


@pytest.fixture
def prefix() -> str:
    """A namespace per test, so parallel runs on a shared Redis never see each other's frames."""
    return f"kefu-test-{uuid.uuid4().hex[:8]}:"


@pytest.fixture
async def hubs(url: str, prefix: str) -> AsyncIterator[tuple[RedisPubSub, RedisPubSub]]:
    a, b = RedisPubSub(url, prefix=prefix), RedisPubSub(url, prefix=prefix)
    try:
        yield a, b
    finally:
        await a.aclose()
        await b.aclose()


async def test_frames_fan_out_to_every_subscriber_in_every_process(hubs: tuple[RedisPubSub, RedisPubSub]) -> None:
    a, b = hubs
    async with a.subscribe("c1") as qa1, a.subscribe("c1") as qa2, b.subscribe("c1") as qb, \
            b.subscribe("c2") as other:
        assert a.subscribers("c1") == 2 and b.subscribers("c1") == 1 and a.subscribers("c2") == 0
        # (each worker's own subscribers get its frames at once, the other's through Redis: one frame at a time)
        for hub, frame in ((a, {"type": "bot_message", "text": "您好", "seq": 3}),
                           (b, {"type": "operator_message", "text": "hi", "seq": 4})):
            await hub.publish("c1", frame)
            for queue in (qa1, qa2, qb):
                assert await asyncio.wait_for(queue.get(), WAIT) == frame
        await asyncio.sleep(0.2)
        assert qa1.empty() and qb.empty() and other.empty()  # a worker's own frame is not delivered twice
    assert a.subscribers("c1") == 0 and b.subscribers("c2") == 0


async def test_a_burst_reaches_the_other_worker_whole_and_in_order(hubs: tuple[RedisPubSub, RedisPubSub]) -> None:
    a, b = hubs
    async with b.subscribe("c") as queue:
        assert await a.wait_ready(WAIT)
        for seq in range(200):  # faster than one PUBLISH a round trip: they go in batches
            await a.publish("c", {"type": "bot_token", "delta": str(seq)})
        got = [(await asyncio.wait_for(queue.get(), WAIT))["delta"] for _ in range(200)]
    assert got == [str(seq) for seq in range(200)] and a.dropped == 0


async def test_a_slow_subscriber_loses_its_oldest_frames(url: str, prefix: str) -> None:
    hub = RedisPubSub(url, prefix=prefix, queue_size=2)
    try:
        async with hub.subscribe("c") as queue:
            for seq in range(1, 6):
                await hub.publish("c", {"seq": seq})
            await asyncio.sleep(0.3)
            assert [queue.get_nowait()["seq"] for _ in range(queue.qsize())] == [4, 5]
    finally:
        await hub.aclose()


async def _kill(url: str, name: str) -> int:
    """CLIENT KILL every connection whose name is `name`; how many went."""
    admin = Redis.from_url(url)
    try:
        ids = [c["id"] for c in await admin.client_list() if c.get("name") == name]
        for cid in ids:
            await admin.client_kill_filter(_id=cid)
        return len(ids)
    finally:
        await admin.aclose()


async def _receives(hub: RedisPubSub, queue: asyncio.Queue, seq: int) -> None:
    """Publish until the frame arrives (the subscription comes back after a short backoff)."""
    deadline = asyncio.get_running_loop().time() + WAIT
    while asyncio.get_running_loop().time() < deadline:
        await hub.publish("c", {"seq": seq})
        try:
            if (await asyncio.wait_for(queue.get(), 0.5))["seq"] == seq:
                return
        except TimeoutError:
            continue
    pytest.fail(f"frame {seq} never arrived after the connections were killed")


async def test_both_connections_come_back_after_client_kill(hubs: tuple[RedisPubSub, RedisPubSub], url: str,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="server.infra.pubsub_redis")
    a, b = hubs
    async with b.subscribe("c") as queue:
        await a.publish("c", {"seq": 1})
        assert (await asyncio.wait_for(queue.get(), WAIT))["seq"] == 1
        assert await _kill(url, f"{b.client_name}-sub") == 1  # the reader of the receiving worker
        assert await _kill(url, f"{a.client_name}-pub") == 1  # the publisher of the sending worker
        await _receives(a, queue, 2)
        assert await b.wait_ready(WAIT)
    assert "reconnected" in caplog.text and "publish to c failed" not in caplog.text


async def test_publish_without_redis_logs_and_returns(prefix: str, caplog: pytest.LogCaptureFixture) -> None:
    hub = RedisPubSub("redis://127.0.0.1:1/0", prefix=prefix, timeout_s=0.5)  # nothing listens on port 1
    try:
        await hub.publish("c", {"type": "bot_message", "seq": 1})  # must not raise: the event is already stored
        async with hub.subscribe("c") as queue:  # gives up waiting for the subscription, still usable
            assert queue.empty()
        assert not await hub.wait_ready(0.2)
    finally:
        await hub.aclose()
    assert "redis publish to c failed" in caplog.text
