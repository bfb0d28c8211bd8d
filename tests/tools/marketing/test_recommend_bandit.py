"""The re-ranking bandit inside `RecommendTool`, with the in-process live signals: what a list records for offline
evaluation (per-position propensities, the first position's whole distribution), how rewards from card actions
move the policy, that online learning equals rebuilding from the log, that a switched policy file is picked up,
and that the tool reads the live session rather than the event log (and the log when the live one is partial)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent.events import Event, ProductInteracted, RecommendationShown
from tests.fakes import MemoryEventStore, MemoryOrders, commerce_tools, make_agent
from tests.fakes.marketing import MemoryShopper
from tools.marketing.bandit import LinearThompson, RewardWeights, Served
from tools.marketing.bandit.history import fit_policy
from tools.marketing.bandit.serving import Reranker
from tools.marketing.feedback import Feedback, credit_for, ranked_lists
from tools.marketing.live import MemoryLiveSignals
from tools.marketing.recommend_tool import RecommendTool
from tools.marketing.session import Session, Shown, Touch

pytestmark = pytest.mark.unit

IPHONE_CASES = {"P200", "P201", "P202", "P206"}


class CountingStore(MemoryEventStore):
    """Counts whole-log reads (the agent itself only tops its cached state up with `after` > 0)."""

    def __init__(self) -> None:
        super().__init__()
        self.full_reads = 0

    async def load(self, conversation_id: str, after: int = 0) -> list[Event]:
        self.full_reads += after == 0
        return await super().load(conversation_id, after)


def wired(reranker: Reranker | None = None, live: MemoryLiveSignals | None = None, *, feedback: bool = True) -> Any:
    store = CountingStore()
    live = live or MemoryLiveSignals()
    reranker = reranker if reranker is not None else Reranker(None, seed=3)
    tool = RecommendTool(MemoryShopper(), store, live=live, reranker=reranker)
    sink = Feedback(live, store, reranker)

    async def on_events(cid: str, events: list[Event], state: Any) -> None:
        if feedback:
            await sink.observe(cid, events)

    agent = make_agent(store=store, tools=[*commerce_tools(MemoryOrders()), tool], on_events=on_events)
    return agent, store, reranker


async def ask(agent: Any, cid: str, text: str = "recommend a phone case", *, start: bool = True) -> RecommendationShown:
    if start:
        await agent.start(cid, channel="web", customer_id=None, language="en")
    result = await agent.handle(cid, text)
    return next(e for e in result.events if isinstance(e, RecommendationShown))


async def touch(agent: Any, cid: str, kind: str, product_id: str) -> None:
    await agent.record(cid, [ProductInteracted(conversation_id=cid, kind=kind, product_id=product_id)])


async def test_each_list_records_the_policys_choice_with_its_propensities() -> None:
    agent, _, reranker = wired()
    event = await ask(agent, "c1")
    record = event.bandit
    assert record is not None
    served = Served.from_payload(record)
    assert (served.policy, served.generation) == ("linear_thompson", reranker.generation)
    assert served.generation.startswith("prior-")
    assert served.ranking[: len(event.product_ids)] == event.product_ids  # the cards are the policy's order
    assert served.chosen == event.product_ids[0]
    assert len(served.candidates) > len(event.product_ids)  # it chose among more than it showed
    assert {"segment", "language", "category", "session"} <= set(served.context)
    # per shown position, the probability it was drawn with given the positions before it
    assert len(served.propensities) == len(event.product_ids)
    assert all(0.0 < p <= 1.0 for p in served.propensities)
    assert served.propensities[0] == served.propensity
    # the first position's whole distribution: sums to one, and the chosen one's share is the logged propensity
    assert sum(served.distribution) == pytest.approx(1.0)
    assert served.distribution[served.chosen_index] == pytest.approx(served.propensity)
    assert min(served.distribution) >= 0.05 / len(served.candidates) - 1e-12  # the exploration floor
    # features the policy saw: relative scores in [0, 1], price bands, category
    assert all(0.0 <= c.score <= 1.0 and c.price_band in ("low", "mid", "high") for c in served.candidates)


async def test_a_fresh_policy_mostly_keeps_the_recommenders_first_product() -> None:
    agent, _, _ = wired()
    firsts = Counter([(await ask(agent, f"c{i}")).product_ids[0] for i in range(40)])
    assert firsts.most_common(1)[0][0] == "P203"  # the popular best seller, as without the bandit
    assert firsts["P203"] >= 15 and len(firsts) >= 2  # ... but it explores


async def test_rewards_on_one_product_move_it_to_the_front() -> None:
    agent, _, reranker = wired()
    before = Counter([(await ask(agent, f"a{i}")).product_ids[0] for i in range(30)])
    assert before["P205"] <= 6
    firsts = []
    for i in range(60):
        event = await ask(agent, f"b{i}")
        firsts.append(event.product_ids[0])
        if "P205" in event.product_ids:  # customers keep putting this one in their cart, wherever it is shown
            await touch(agent, f"b{i}", "added_to_cart", "P205")
    assert firsts[-20:].count("P205") >= 14, firsts
    served = Served.from_payload((await ask(agent, "z")).bandit or {})
    pref = reranker.policy.preference(served.context, served.candidates)
    assert served.candidates[int(np.argmax(pref))].product_id == "P205"


async def test_a_click_then_a_cart_credit_the_difference_and_a_repeat_nothing() -> None:
    served = {"policy": "p", "context": {}, "candidates": [{"product_id": "A"}, {"product_id": "B"}],
              "ranking": ["A", "B"], "chosen": "A", "propensity": 0.5, "propensities": [0.5, 1.0]}
    session = Session(shown=[Shown(("A", "B"), seq=2, bandit=served)],
                      touches=[Touch("B", "viewed", 3), Touch("B", "viewed", 4), Touch("B", "added_to_cart", 5),
                               Touch("C", "viewed", 6)])
    weights = RewardWeights()
    first = credit_for(session, session.touches[0], weights)
    assert first is not None and (first.product_id, first.previous, first.reward) == ("B", 0.0, 0.2)
    assert credit_for(session, session.touches[1], weights) is None  # the second look adds nothing
    cart = credit_for(session, session.touches[2], weights)
    assert cart is not None and (cart.previous, cart.reward) == (0.2, 0.5)
    assert credit_for(session, session.touches[3], weights) is None  # never shown by the policy
    [(listed)] = ranked_lists(session, weights)
    assert listed.rewards == {"B": 0.5}


async def test_learning_online_equals_rebuilding_from_the_log() -> None:
    agent, store, reranker = wired()
    rng = np.random.default_rng(5)
    for i in range(25):
        event = await ask(agent, f"c{i}")
        for pid in event.product_ids:
            if rng.random() < 0.3:
                await touch(agent, f"c{i}", str(rng.choice(["viewed", "added_to_cart", "purchased"])), pid)
        if i % 5 == 0:  # a second list in the same conversation
            await ask(agent, f"c{i}", start=False)
    lists = [r for log in store.logs.values() for r in ranked_lists(Session.from_events(log), RewardWeights())]
    assert sum(1 for r in lists if any(r.rewards.values())) >= 5
    rebuilt = fit_policy((r.served, r.rewards) for r in sorted(lists, key=lambda r: r.at))
    online = reranker.policy
    assert rebuilt.n == online.n
    np.testing.assert_allclose(rebuilt.b, online.b, atol=1e-9)
    np.testing.assert_allclose(rebuilt.f, online.f, atol=1e-9)
    assert rebuilt.rr == pytest.approx(online.rr)


async def test_a_switched_policy_file_is_loaded_and_old_lists_are_not_credited_to_it(tmp_path: Path) -> None:
    path = tmp_path / "policy.npz"
    agent, _, reranker = wired(Reranker(path, seed=1, sync_s=0.0))
    old = Served.from_payload((await ask(agent, "c1")).bandit or {})
    trained = LinearThompson(score_prior=3.0)
    trained.update({"segment": "anonymous"}, old.candidates[-1], 1.0)
    trained.save(path)
    await reranker.sync()
    assert reranker.generation.startswith("file-") and reranker.policy.n == 1
    assert not reranker.credit(old, old.chosen, 1.0)  # served by the previous generation
    new = Served.from_payload((await ask(agent, "c2")).bandit or {})
    assert new.generation == reranker.generation and reranker.credit(new, new.chosen, 1.0)


async def test_the_tool_reads_the_live_session_not_the_log() -> None:
    agent, store, _ = wired()
    await ask(agent, "c")
    await touch(agent, "c", "viewed", "P100")  # an iPhone 16
    reads = store.full_reads
    event = await ask(agent, "c", start=False)
    assert set(event.product_ids) <= IPHONE_CASES
    assert store.full_reads == reads  # neither the tool nor the reward credit read the whole log


async def test_a_partial_live_session_falls_back_to_the_log() -> None:
    live = MemoryLiveSignals()
    agent, store, _ = wired(live=live, feedback=False)  # nothing mirrored: the live store never saw the start
    await ask(agent, "c")
    await touch(agent, "c", "viewed", "P100")
    await live.touch("c", Touch("P300", "viewed", 99))  # a stray entry: the session is there but partial
    session, _ = await live.read("c")
    assert session is not None and not session.complete
    reads = store.full_reads
    event = await ask(agent, "c", start=False)
    assert set(event.product_ids) <= IPHONE_CASES  # the log's view of the iPhone wins
    assert store.full_reads == reads + 1


async def test_trending_products_rise_for_everyone() -> None:
    live = MemoryLiveSignals()
    store = MemoryEventStore()
    tool = RecommendTool(MemoryShopper(), store, live=live, trend_weight=0.5)
    agent = make_agent(store=store, tools=[*commerce_tools(MemoryOrders()), tool])

    async def first_list(cid: str) -> Sequence[str]:
        return (await ask(agent, cid)).product_ids

    before = await first_list("a")
    assert "P201" not in before[:2]
    for i in range(20):  # other customers keep adding the Spigen iPhone case to their carts
        await live.touch(f"x{i}", Touch("P201", "added_to_cart", 1))
    after = await first_list("b")
    assert after[0] == "P201"


async def test_the_covariance_catches_up_with_the_lists_served() -> None:
    agent, _, reranker = wired()
    for i in range(30):
        await ask(agent, f"c{i}")
    policy = reranker.policy

    async def settled() -> None:
        for _ in range(500):
            if not reranker._refreshing:
                return
            await asyncio.sleep(0.01)

    await settled()
    await ask(agent, "last")  # a list served with the lag over the bar starts a refresh in the background
    await settled()
    assert policy.n > 0 and policy.deferred <= max(32, 0.02 * policy.n) + 4
    await reranker.sync()
    assert reranker.policy.deferred == 0
    np.testing.assert_allclose(reranker.policy._cov, np.linalg.inv(reranker.policy.b), atol=1e-9)
