"""`RecommendTool` through the turn pipeline: a verified customer's list follows what they own (an iPhone 16 owner
gets iPhone 16 cases), an anonymous one gets popular-and-safe items, and what the customer views or adds in the
conversation changes the next list at once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.events import Event, ProductInteracted, RecommendationShown, ToolCalled
from tests.fakes import NOW, MemoryEventStore, MemoryOrders, ask, commerce_tools, make_agent
from tests.fakes.marketing import MemoryShopper
from tools.marketing.recommend_tool import RecommendTool, catalogue_recommender
from tools.marketing.recommender import Recommender

pytestmark = pytest.mark.unit

IPHONE_CASES = {"P200", "P201", "P202", "P206"}
GALAXY_CASES = {"P203", "P204", "P205"}


def agent_with_recommender(model_path: Path | None = None):
    store = MemoryEventStore()
    tool = RecommendTool(MemoryShopper(), store, model_path=model_path)
    return make_agent(store=store, tools=[*commerce_tools(MemoryOrders()), tool]), store


def shown(events: list[Event]) -> RecommendationShown:
    return next(e for e in events if isinstance(e, RecommendationShown))


async def interact(agent, kind: str, product_id: str) -> None:
    await agent.record("c", [ProductInteracted(conversation_id="c", kind=kind, product_id=product_id)])


@pytest.mark.parametrize(("text", "said"), [("推荐一款手机壳", "根据您的购买记录"),
                                            ("recommend a phone case", "Based on what you've bought")])
async def test_an_iphone_owner_gets_cases_that_fit_it(text: str, said: str) -> None:
    agent, _ = agent_with_recommender()
    result, bot = await ask(agent, text, customer_id="C1")
    ids = [c["id"] for c in result.reply.cards]
    assert ids and set(ids) <= IPHONE_CASES - {"P206"}  # fits the iPhone 16, in stock; no Galaxy case
    assert said in bot.text
    assert [e.tool for e in result.events if isinstance(e, ToolCalled)] == ["recommend"]
    assert result.state.intent == "product_search"  # the NLU's intent stays; the recommendation cue picks the tool
    event = shown(result.events)
    assert event.personalised and event.product_ids == ids
    assert [c["product_id"] for c in event.candidates] == ids
    assert {c["source"] for c in event.candidates} <= {"popular", "co-occurrence", "compatible"}


async def test_a_galaxy_owner_gets_galaxy_cases_and_an_anonymous_customer_the_popular_ones() -> None:
    agent, _ = agent_with_recommender()
    result, _ = await ask(agent, "推荐一款手机壳", customer_id="C2")
    assert {c["id"] for c in result.reply.cards} <= GALAXY_CASES

    agent, _ = agent_with_recommender()
    result, bot = await ask(agent, "recommend a phone case", customer_id=None)
    ids = [c["id"] for c in result.reply.cards]
    assert ids[:3] == ["P203", "P204", "P205"]  # the best sellers in stock (P206 sold more but has none left)
    assert "popular" in bot.text and not shown(result.events).personalised


async def test_an_anonymous_customer_without_a_category_gets_popular_items_needing_no_device() -> None:
    agent, _ = agent_with_recommender()
    result, _ = await ask(agent, "推荐点东西", customer_id=None)
    ids = [c["id"] for c in result.reply.cards]
    assert ids and not set(ids) & (IPHONE_CASES | GALAXY_CASES)


@pytest.mark.parametrize(("language", "text", "said"), [("zh", "推荐一款手机壳", "根据您刚才看过的商品"),
                                                        ("en", "recommend a phone case", "Based on what you just")])
async def test_viewing_a_phone_turns_an_anonymous_list_to_fitting_cases(language: str, text: str, said: str) -> None:
    agent, _ = agent_with_recommender()
    before, _ = await ask(agent, text, customer_id=None, language=language)
    assert {c["id"] for c in before.reply.cards} & GALAXY_CASES
    await interact(agent, "viewed", "P100")  # the iPhone 16
    after = await agent.handle("c", text)
    ids = [c["id"] for c in after.reply.cards]
    assert ids and set(ids) <= IPHONE_CASES
    assert said in after.reply.text


async def test_added_to_cart_leaves_the_next_list_and_brings_its_kind_forward() -> None:
    agent, _ = agent_with_recommender()
    first, _ = await ask(agent, "推荐一款手机壳", customer_id="C1")
    ids = [c["id"] for c in first.reply.cards]
    await interact(agent, "added_to_cart", ids[0])
    second = await agent.handle("c", "推荐一款手机壳")
    again = [c["id"] for c in second.reply.cards]
    assert again and ids[0] not in again and again != ids
    assert [e.product_ids for e in agent.store.logs["c"] if isinstance(e, RecommendationShown)] == [ids, again]


@pytest.mark.parametrize(("language", "text", "said"), [("zh", "有没有类似的", "相似"),
                                                        ("en", "Show me something like this", "Similar to")])
async def test_similar_means_like_the_product_viewed_last(language: str, text: str, said: str) -> None:
    agent, _ = agent_with_recommender()
    await agent.start("c", channel="web", customer_id=None, language=language)
    await interact(agent, "viewed", "P203")  # a Galaxy S24 case
    result = await agent.handle("c", text)
    ids = [c["id"] for c in result.reply.cards]
    assert ids and "P203" not in ids and set(ids) <= IPHONE_CASES | GALAXY_CASES
    assert said in result.reply.text and ("Spigen Galaxy S24" in result.reply.text or "Spigen Galaxy S24 壳" in
                                          result.reply.text)


async def test_a_search_without_a_recommendation_cue_stays_a_search() -> None:
    agent, _ = agent_with_recommender()
    result, _ = await ask(agent, "我想买手机壳", customer_id="C1")
    assert [e.tool for e in result.events if isinstance(e, ToolCalled)] == ["product_search"]


async def test_a_trained_model_file_is_loaded_once_and_used(tmp_path: Path) -> None:
    shopper = MemoryShopper()
    model = catalogue_recommender(shopper.shelf(), shopper.popularity())
    model.popularity = np.where(np.array(model.items) == "P205", 1.0, 0.01)  # the file says: P205 sells best
    path = model.save(tmp_path / "rec.npz")
    agent, _ = agent_with_recommender(path)
    result, _ = await ask(agent, "recommend a phone case", customer_id=None)
    assert result.reply.cards[0]["id"] == "P205"
    tool = agent.tools.get("recommend")
    assert isinstance(tool, RecommendTool) and isinstance(tool.model(), Recommender)
    assert tool.model() is tool.model()


async def test_a_damaged_model_file_falls_back_to_the_catalogue(tmp_path: Path) -> None:
    (tmp_path / "rec.npz").write_bytes(b"not a model")
    (tmp_path / "rec.json").write_text("{}", encoding="utf-8")
    agent, _ = agent_with_recommender(tmp_path / "rec.npz")
    result, _ = await ask(agent, "recommend a phone case", customer_id=None)
    assert result.reply.cards


def test_a_recommendation_logged_before_scores_existed_still_reads() -> None:
    old = Event.from_record(type="recommendation_shown", conversation_id="c", seq=3, at=NOW, id="e1",
                            payload={"product_ids": ["P200"], "source": "product_search"})
    assert isinstance(old, RecommendationShown)
    assert (old.product_ids, old.candidates, old.bandit, old.personalised) == (["P200"], [], None, False)
    viewed = ProductInteracted(conversation_id="c", kind="viewed", product_id="P200")
    back = Event.from_record(type="product_interacted", conversation_id="c", seq=4, at=NOW, id="e2",
                             payload=viewed.to_payload())
    assert isinstance(back, ProductInteracted) and (back.kind, back.product_id) == ("viewed", "P200")
