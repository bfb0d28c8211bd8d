"""The recommender's live state in a real Redis, as two workers share it: the session signal and the trending
products recorded on one worker are read on the other (and change the list it serves), the trend decays
across the epoch boundary without a jump, the re-ranking policies of two workers converge to what one would
have learnt, and an unreachable Redis degrades to the event log instead of failing."""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import numpy as np
import pytest

from agent.events import ConversationStarted, Event, ProductInteracted
from agent.protocols import ToolContext
from server.infra.live_redis import RedisLiveSignals, RedisPolicyShare
from tests.fakes import MemoryEventStore
from tests.fakes.marketing import MemoryShopper
from tests.services import redis_url
from tools.marketing.bandit import Served
from tools.marketing.bandit.serving import Reranker
from tools.marketing.feedback import Feedback
from tools.marketing.live import Decay
from tools.marketing.recommend_tool import RecommendTool
from tools.marketing.session import Shown, Touch

pytestmark = pytest.mark.integration
IPHONE_CASES = {"P200", "P201", "P202", "P206"}


@pytest.fixture
def url() -> str:
    return redis_url()


@pytest.fixture
def prefix(url: str) -> Iterator[str]:
    """A namespace per test, so parallel runs on a shared Redis never see each other's keys; dropped after."""
    import redis

    name = f"kefu-test-{uuid.uuid4().hex[:8]}:"
    yield name
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{name}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
async def workers(url: str, prefix: str) -> AsyncIterator[tuple[RedisLiveSignals, RedisLiveSignals]]:
    a, b = RedisLiveSignals(url, prefix=prefix), RedisLiveSignals(url, prefix=prefix)
    try:
        yield a, b
    finally:
        await a.aclose()
        await b.aclose()


async def test_two_workers_see_the_same_session_and_trending_items(
    workers: tuple[RedisLiveSignals, RedisLiveSignals],
) -> None:
    a, b = workers
    assert await b.read("c") == (None, {})
    await a.start("c")
    await a.shown("c", Shown(("P203", "P204"), seq=2, at=1.0, bandit={"policy": "p"}))
    after = await a.touch("c", Touch("P203", "viewed", 3))
    assert after is not None and after.complete and after.interest() == ["P203"]
    await b.touch("c", Touch("P100", "added_to_cart", 4))
    await b.touch("other", Touch("P100", "viewed", 1))
    for worker in (a, b):
        session, hot = await worker.read("c")
        assert session is not None and session.complete
        assert session.interest() == ["P203", "P100"] and session.last_shown() == ["P203", "P204"]
        assert session.shown[0].bandit == {"policy": "p"} and session.strongest() == "carted"
        assert list(hot) == ["P100", "P203"]  # cart 2 + view 1 against one view
        assert hot["P100"] == pytest.approx(3.0, rel=1e-3) and hot["P203"] == pytest.approx(1.0, rel=1e-3)


async def test_a_session_without_its_start_is_partial(workers: tuple[RedisLiveSignals, RedisLiveSignals]) -> None:
    a, _ = workers
    await a.touch("late", Touch("P100", "viewed", 7))  # e.g. after Redis lost the key: the log must be read
    session, _ = await a.read("late")
    assert session is not None and not session.complete


async def test_trending_counts_decay_and_carry_over_the_epoch_boundary(url: str, prefix: str) -> None:
    decay = Decay(tau_s=100.0, epoch_taus=5.0)  # an epoch of 500 s
    now = [decay.epoch_s * 1000 + 480.0]  # 20 s before an epoch ends
    live = RedisLiveSignals(url, prefix=prefix, tau_s=100.0, clock=lambda: now[0])
    live.decay = decay
    try:
        await live.touch("c", Touch("P1", "viewed", 1))
        _, hot = await live.read("c")
        assert hot["P1"] == pytest.approx(1.0)
        now[0] += 40.0  # into the next epoch: read from the previous one, decayed
        _, hot = await live.read("c")
        assert hot["P1"] == pytest.approx(math.exp(-0.4), rel=1e-6)
        await live.touch("d", Touch("P1", "viewed", 1))  # a new count in the new epoch adds up
        _, hot = await live.read("c")
        assert hot["P1"] == pytest.approx(1.0 + math.exp(-0.4), rel=1e-6)
    finally:
        await live.aclose()


def _ctx(cid: str) -> ToolContext:
    return ToolContext(conversation_id=cid, customer_id=None, language="en", now=datetime(2026, 11, 20, tzinfo=UTC))


async def test_an_interaction_on_one_worker_changes_the_list_the_other_serves(
    workers: tuple[RedisLiveSignals, RedisLiveSignals],
) -> None:
    """Worker B has never seen this conversation's log: what it serves comes from Redis."""
    a, b = workers
    log_a = MemoryEventStore()
    feedback_a = Feedback(a, log_a)
    tool_b = RecommendTool(MemoryShopper(), MemoryEventStore(), live=b)
    args = tool_b.Args(category="phone_case")
    started = await log_a.append("c", [ConversationStarted(conversation_id="c", channel="web")])
    await feedback_a.observe("c", started)
    before = (await tool_b(args, _ctx("c"))).data["product_ids"]
    assert not set(before) <= IPHONE_CASES  # an anonymous customer: the popular (Galaxy) cases
    viewed = await log_a.append("c", [ProductInteracted(conversation_id="c", kind="viewed", product_id="P100")])
    await feedback_a.observe("c", viewed)
    after = await tool_b(args, _ctx("c"))
    assert after.data["product_ids"] and set(after.data["product_ids"]) <= IPHONE_CASES
    assert after.data["basis"] == "session"


async def _learn(worker: Reranker, tool: RecommendTool, feedback: Feedback, store: MemoryEventStore, cid: str) -> None:
    started = await store.append(cid, [ConversationStarted(conversation_id=cid, channel="web")])
    await feedback.observe(cid, started)
    result = await tool(tool.Args(category="phone_case"), _ctx(cid))
    shown = await store.append(cid, result.events)
    await feedback.observe(cid, shown)
    chosen = Served.from_payload(result.events[0].bandit or {}).chosen  # type: ignore[attr-defined]
    events: list[Event] = [ProductInteracted(conversation_id=cid, kind="purchased", product_id=chosen)]
    await feedback.observe(cid, await store.append(cid, events))


async def test_two_workers_pool_what_their_policies_learn(url: str, prefix: str) -> None:
    shares = [RedisPolicyShare(url, prefix=prefix) for _ in range(2)]
    workers = [Reranker(None, share=s, seed=i, worker=f"w{i}") for i, s in enumerate(shares)]
    assert workers[0].generation == workers[1].generation
    prior = workers[0].policy.b.copy()
    stores = [MemoryEventStore(), MemoryEventStore()]
    lives = [RedisLiveSignals(url, prefix=prefix) for _ in range(2)]
    tools = [RecommendTool(MemoryShopper(), st, live=lv, reranker=w) for st, lv, w in zip(stores, lives, workers,
                                                                                             strict=True)]
    feedbacks = [Feedback(lv, st, w) for lv, st, w in zip(lives, stores, workers, strict=True)]
    try:
        for i in range(6):
            k = i % 2
            await _learn(workers[k], tools[k], feedbacks[k], stores[k], f"c{i}")
        for w in (*workers, workers[0]):  # a round of syncs, and one more for the first to hear the second
            await w.sync()
        a, b = (w.policy for w in workers)
        assert a.n == b.n > 0
        np.testing.assert_allclose(a.b, b.b, atol=1e-9)
        np.testing.assert_allclose(a.f, b.f, atol=1e-9)
        assert a.rr == pytest.approx(b.rr) and not np.allclose(a.b, prior)
        # syncing again changes nothing: nothing is counted twice
        n = a.n
        for w in workers:
            await w.sync()
        assert (a.n, b.n) == (n, n)
    finally:
        for w in workers:
            await w.aclose()
        for lv in lives:
            await lv.aclose()


async def test_an_unreachable_redis_reads_as_unknown_and_the_tool_uses_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="server.infra.live_redis")
    live = RedisLiveSignals("redis://127.0.0.1:1/0", timeout_s=0.2)  # nothing listens on port 1
    store = MemoryEventStore()
    try:
        assert await live.read("c") == (None, {})
        assert await live.touch("c", Touch("P1", "viewed", 1)) is None
        await live.start("c")  # logs, does not raise
        await store.append("c", [ConversationStarted(conversation_id="c", channel="web"),
                                 ProductInteracted(conversation_id="c", kind="viewed", product_id="P100")])
        tool = RecommendTool(MemoryShopper(), store, live=live)
        result = await tool(tool.Args(category="phone_case"), _ctx("c"))
        assert set(result.data["product_ids"]) <= IPHONE_CASES  # the log still knows what was viewed
        assert "live signals" in caplog.text
    finally:
        await live.aclose()
    share = RedisPolicyShare("redis://127.0.0.1:1/0", timeout_s=0.2)
    worker = Reranker(None, share=share, seed=0)
    await worker.sync()  # logs, does not raise; serving goes on
    assert worker.policy.n == 0
    await share.aclose()
