"""`CrossSellTool` through the turn pipeline: once a need is met (an order question answered, a product added to the
cart) the agent offers the one product that goes with it, at most once per need, never to an upset customer or one
waiting for a person, and records the offer and what became of it; "这个和什么搭配" / "what goes with this" asks it
directly."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.events import (
    BotUttered,
    Event,
    HandoffRequested,
    OfferAnswered,
    OfferMade,
    ProductInteracted,
    RecommendationShown,
    ToolCalled,
)
from agent.pipeline import Agent
from tests.fakes import MemoryEventStore, ScriptedLLM, commerce_tools, make_agent
from tests.fakes.crosssell import CrossSellShopper, phone_orders, write_rules
from tools.marketing.crosssell_tool import CrossSellTool

pytestmark = pytest.mark.unit

ASK = {"zh": "我的订单KF10000009到哪了？", "en": "Where is my order KF10000009?"}
BY_THE_WAY = {"zh": "顺便推荐", "en": "By the way"}


@pytest.fixture
def agent(tmp_path: Path) -> Agent:
    store = MemoryEventStore()
    tool = CrossSellTool(CrossSellShopper(), store, rules_dir=write_rules(tmp_path / "rules"))
    return make_agent(store=store, tools=[*commerce_tools(phone_orders()), tool])


def of(events: list[Event], kind: type[Event]) -> list:
    return [e for e in events if isinstance(e, kind)]


def offer_cards(cards: list[dict]) -> list[dict]:
    return [c for c in cards if c.get("offer")]


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_an_answered_order_question_gets_one_offer_once(agent: Agent, language: str) -> None:
    await agent.start("c", channel="web", customer_id="C1", language=language)
    first = await agent.handle("c", ASK[language])
    assert "KF10000009" in first.reply.text and BY_THE_WAY[language] in first.reply.text
    assert [c["type"] for c in first.reply.cards] == ["order", "product"]
    [card] = offer_cards(first.reply.cards)
    assert card["id"] == "P210" and card["actions"] == ["view", "add_to_cart"] and card["in_stock"]
    [offer] = of(first.events, OfferMade)
    assert (offer.kind, offer.offer_id, offer.need, offer.source) == ("cross_sell", "P210", "order:KF10000009",
                                                                     "cross_sell")
    assert offer.rule == {"rule_set": "orders-product", "by": "product", "antecedent": ["P100"],
                          "consequent": ["P210"], "support": 0.04, "confidence": 0.5, "lift": 5.0}
    assert first.reply.quick_replies == (["不用了"] if language == "zh" else ["No, thanks"])
    [said] = of(first.events, BotUttered)
    assert said.cards == first.reply.cards and said.text == first.reply.text  # recorded as shown
    assert [e.tool for e in of(first.events, ToolCalled)] == ["order_status"]  # the turn's one call

    again = await agent.handle("c", ASK[language])
    assert not offer_cards(again.reply.cards) and not of(again.events, OfferMade)  # once per need
    assert BY_THE_WAY[language] not in again.reply.text
    assert (await agent.rebuild("c")).offers == again.state.offers  # the offers replay from the log


async def test_no_offer_to_an_angry_customer_nor_one_waiting_for_a_person(agent: Agent) -> None:
    await agent.start("angry", channel="web", customer_id="C1", language="zh")
    angry = await agent.handle("angry", "我的订单KF10000009怎么回事？太慢了，气死我了！")
    assert angry.state.current_affect.label in ("anger", "disappointment", "anxiety")
    assert "KF10000009" in angry.reply.text and not offer_cards(angry.reply.cards)
    assert not of(angry.events, OfferMade)

    await agent.start("queued", channel="web", customer_id="C1", language="en")
    handoff = await agent.handle("queued", "I want to talk to a person")
    assert of(handoff.events, HandoffRequested) and handoff.state.handoff == "queued"
    waiting = await agent.handle("queued", ASK["en"])
    assert "KF10000009" in waiting.reply.text and not offer_cards(waiting.reply.cards)
    assert not of(waiting.events, OfferMade)


async def test_no_offer_on_the_phone_nor_on_a_failed_lookup(agent: Agent) -> None:
    await agent.start("voice", channel="voice", customer_id="C1", language="en")
    spoken = await agent.handle("voice", ASK["en"])
    assert "KF10000009" in spoken.reply.text and not of(spoken.events, OfferMade)
    await agent.start("other", channel="web", customer_id="C1", language="en")
    foreign = await agent.handle("other", "Where is my order KF20000009?")  # C2's order: not found
    assert not of(foreign.events, OfferMade)


async def test_taking_the_offer_up_or_declining_it_is_recorded(agent: Agent) -> None:
    await agent.start("c", channel="web", customer_id="C1", language="zh")
    await agent.handle("c", ASK["zh"])
    [offer] = of(agent.store.logs["c"], OfferMade)
    viewed = await agent.interaction("c", "viewed", "P210")
    added = await agent.interaction("c", "added_to_cart", "P210")
    again = await agent.interaction("c", "added_to_cart", "P210")
    answers = of(viewed + added + again, OfferAnswered)
    assert [(a.offer_event_id, a.offer_id, a.outcome) for a in answers] == [
        (offer.id, "P210", "clicked"), (offer.id, "P210", "added_to_cart")]  # once per outcome
    assert not of(added, BotUttered)  # a taken offer is not followed by another one
    declined = await agent.handle("c", "不用了")
    assert not of(declined.events, OfferAnswered)  # it was taken up already

    await agent.start("d", channel="web", customer_id="C1", language="en")
    await agent.handle("d", ASK["en"])
    no = await agent.handle("d", "No thanks")
    [answer] = of(no.events, OfferAnswered)
    assert answer.outcome == "declined" and answer.offer_id == "P210"
    assert no.state.offers[-1]["outcomes"] == ["declined"]


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_a_product_added_to_the_cart_is_followed_by_an_offer_message(agent: Agent, language: str) -> None:
    await agent.start("c", channel="web", customer_id=None, language=language)
    events = await agent.interaction("c", "added_to_cart", "P101")  # a Galaxy, by an anonymous customer
    assert isinstance(events[0], ProductInteracted)
    [offer] = of(events, OfferMade)
    [said] = of(events, BotUttered)
    assert offer.offer_id == "P211" and offer.need == "product:P101" and offer.rule["by"] == "category"
    assert [c["id"] for c in said.cards] == ["P211"] and said.cards[0]["offer"] is True
    assert BY_THE_WAY[language] in said.text
    bought = await agent.interaction("c", "purchased", "P101")
    assert not of(bought, OfferMade)  # the same need: no second offer
    viewed = await agent.interaction("c", "viewed", "P100")
    assert not of(viewed, OfferMade)  # a product looked at is no need met


@pytest.mark.parametrize(("language", "text"), [("zh", "这个和什么搭配？"), ("en", "What goes with this?"),
                                                ("en", "What should I buy with it?")])
async def test_what_goes_with_this_answers_for_the_product_looked_at_last(
    agent: Agent, language: str, text: str
) -> None:
    await agent.start("c", channel="web", customer_id=None, language=language)
    await agent.record("c", [ProductInteracted(conversation_id="c", kind="viewed", product_id="P100")])
    result = await agent.handle("c", text)
    assert [e.tool for e in of(result.events, ToolCalled)] == ["cross_sell"]
    ids = [c["id"] for c in result.reply.cards]
    assert ids == ["P210", "P200"] and not offer_cards(result.reply.cards)  # asked for: a list, not an offer
    assert "iPhone 16" in result.reply.text
    [shown] = of(result.events, RecommendationShown)
    assert shown.source == "cross_sell" and [c["source"] for c in shown.candidates] == ["product_rule"] * 2


async def test_a_named_product_is_matched_and_nothing_known_is_asked_about(agent: Agent) -> None:
    await agent.start("c", channel="web", customer_id="C2", language="zh")
    named = await agent.handle("c", "Galaxy S24 和什么搭配比较好？")
    assert [c["id"] for c in named.reply.cards][:1] == ["P211"]
    await agent.start("e", channel="web", customer_id=None, language="en")
    unknown = await agent.handle("e", "what goes with this")
    assert not unknown.reply.cards and "Which product" in unknown.reply.text


async def test_an_llm_worded_answer_streams_the_offer_line_after_it(tmp_path: Path) -> None:
    store, tokens = MemoryEventStore(), []
    tool = CrossSellTool(CrossSellShopper(), store, rules_dir=write_rules(tmp_path / "rules"))
    agent = make_agent(store=store, tools=[*commerce_tools(phone_orders()), tool], tokens=tokens,
                       llm=ScriptedLLM("您好，订单 KF10000009 已签收。"))
    await agent.start("c", channel="web", customer_id="C1", language="zh")
    result = await agent.handle("c", ASK["zh"])
    assert result.reply.source == "llm" and result.reply.text.startswith("您好，订单 KF10000009 已签收。")
    assert result.reply.text.endswith("有需要可以看看。") and offer_cards(result.reply.cards)
    assert "".join(tokens) == result.reply.text  # what was streamed is what was recorded
