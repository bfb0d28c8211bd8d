"""The follow-up hook, with a tool of this file alone (nothing under `agent/` names it): a tool that `follows` the
order tool adds one line and card after an answered order question, and one that follows `product_interacted`
speaks up after a product is added to the cart; never after a failed or unfinished call, nor to an upset customer,
nor while a person is waited for; a follow-up that fails costs the reply nothing. Calm cue words win over an intent
the tool `overrides`. An answer from the policy documents is a need met too (`policy_question`, with the document
as its topic); a return filed is one; of two followers the higher `follow_priority` is asked first and the first
with something to say is the only one heard; a need is followed up once."""

from __future__ import annotations

from typing import ClassVar

import pytest
from pydantic import BaseModel

from agent.events import BotUttered, Event, OfferMade, ProductInteracted
from agent.pipeline import Agent
from agent.protocols import Need, NLUResult, ToolContext, ToolResult
from agent.state import DialogueState
from agent.tooling import BaseTool, Toolbox
from tests.fakes import MemoryOrders, commerce_tools, make_agent

pytestmark = pytest.mark.unit


class ThankYouNote(BaseTool):
    """Follows an answered order and a product chosen with a note (and a card) naming the need it followed."""

    name = "thank_you_note"
    description = "Say thanks for a purchase."
    follows: ClassVar[tuple[str, ...]] = ("order_status", "product_interacted")
    templates: ClassVar[dict[str, dict[str, str]]] = {"zh": {"thank_you_note.follow": "感谢惠顾（{need}）。"},
                                                      "en": {"thank_you_note.follow": "Thanks ({need})."}}

    class Args(BaseModel):
        pass

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.needs: list[Need] = []

    async def follow(self, need: Need, state: DialogueState, ctx: ToolContext) -> ToolResult | None:
        self.needs.append(need)
        if self.fail:
            raise RuntimeError("the note printer is out of paper")
        return ToolResult(data={"need": need.key}, cards=[{"type": "note", "id": need.key}])


def agent_with(note: ThankYouNote) -> Agent:
    return make_agent(tools=[*commerce_tools(MemoryOrders()), note])


def said(events: list[Event]) -> list[BotUttered]:
    return [e for e in events if isinstance(e, BotUttered)]


async def test_an_answered_order_is_followed_up_once_in_the_same_reply() -> None:
    note = ThankYouNote()
    agent = agent_with(note)
    await agent.start("c", channel="web", customer_id="C1", language="en")
    result = await agent.handle("c", "Where is my order KF10000002?")
    assert result.reply.text.endswith("Thanks (order:KF10000002).") and "KF10000002" in result.reply.text
    assert [c["type"] for c in result.reply.cards] == ["order", "note"]
    assert note.needs == [Need("order:KF10000002", "order_status", ("P0001",))]
    assert len(said(result.events)) == 1


@pytest.mark.parametrize("text", ["Where is my order KF20000001?",  # another customer's: not found
                                  "Where is my order?",  # lists the orders and asks which
                                  "I want to return order KF10000001, I changed my mind"])  # asks to confirm
async def test_no_follow_up_after_a_failed_or_unfinished_call(text: str) -> None:
    note = ThankYouNote()
    agent = agent_with(note)
    await agent.start("c", channel="web", customer_id="C1", language="en")
    result = await agent.handle("c", text)
    assert note.needs == [] and not any(c["type"] == "note" for c in result.reply.cards)


async def test_no_follow_up_to_an_upset_customer_or_one_waiting_for_a_person() -> None:
    note = ThankYouNote()
    agent = agent_with(note)
    await agent.start("c", channel="web", customer_id="C1", language="zh")
    angry = await agent.handle("c", "我的订单KF10000002怎么回事？太慢了，气死我了！")
    assert "KF10000002" in angry.reply.text and "感谢惠顾" not in angry.reply.text
    await agent.start("q", channel="web", customer_id="C1", language="zh")
    await agent.handle("q", "转人工")
    queued = await agent.handle("q", "我的订单KF10000002到哪了？")
    assert "KF10000002" in queued.reply.text and "感谢惠顾" not in queued.reply.text
    assert note.needs == []


async def test_a_failing_follow_up_leaves_the_answer_whole() -> None:
    agent = agent_with(ThankYouNote(fail=True))
    await agent.start("c", channel="web", customer_id="C1", language="en")
    result = await agent.handle("c", "Where is my order KF10000002?")
    assert "KF10000002" in result.reply.text and [c["type"] for c in result.reply.cards] == ["order"]


async def test_a_product_chosen_is_followed_up_as_a_bot_message_of_its_own() -> None:
    note = ThankYouNote()
    agent = agent_with(note)
    await agent.start("c", channel="web", customer_id=None, language="zh")
    viewed = await agent.interaction("c", "viewed", "P0002")
    assert [type(e) for e in viewed] == [ProductInteracted]  # looking is no need met
    added = await agent.interaction("c", "added_to_cart", "P0002")
    assert isinstance(added[0], ProductInteracted)
    [bot] = said(added)
    assert bot.text == "感谢惠顾（product:P0002）。" and bot.cards == [{"type": "note", "id": "product:P0002"}]
    assert note.needs == [Need("product:P0002", "product_interacted", ("P0002",))]


def test_calm_cue_words_win_over_an_intent_the_tool_overrides() -> None:
    class Pairing(BaseTool):
        name, description, intents = "pairing", "What goes with it.", ("pairing",)
        overrides: ClassVar[tuple[str, ...]] = ("complaint",)
        cues: ClassVar[dict[str, list[str]]] = {"en": [r"\bgoes with\b"]}

        class Args(BaseModel):
            pass

    tools = Toolbox([Pairing()])
    complaint = NLUResult("complaint", 0.97)
    assert tools.with_cues(complaint, "what goes with this", floor=0.6, calm=True).intent == "pairing"
    assert tools.with_cues(complaint, "what goes with this", floor=0.6).intent == "complaint"  # upset: a complaint
    assert tools.with_cues(NLUResult("order_status", 0.9), "what goes with this", floor=0.6, calm=True).intent == \
        "order_status"  # a task the tool does not override stays
    assert tools.followers("order_status") == [] and Toolbox([ThankYouNote()]).followers("order_status")


class TopicNote(ThankYouNote):
    """Follows answers from the documents and filed returns, naming the topic (or the return) it followed."""

    name = "topic_note"
    follows: ClassVar[tuple[str, ...]] = ("policy_question", "request_return")
    templates: ClassVar[dict[str, dict[str, str]]] = {"zh": {"topic_note.follow": "（{need}）"},
                                                      "en": {"topic_note.follow": "({need})"}}

    async def follow(self, need: Need, state: DialogueState, ctx: ToolContext) -> ToolResult | None:
        self.needs.append(need)
        return ToolResult(data={"need": need.key}, cards=[{"type": "note", "id": need.key}],
                          events=[OfferMade(conversation_id=ctx.conversation_id, kind="note", offer_id="n",
                                            need=need.key, source=self.name)])


@pytest.mark.parametrize(("language", "question"), [("zh", "7天无理由退货从哪天开始算？"),
                                                    ("en", "How many days do I have to return an item?")])
async def test_an_answer_from_the_documents_is_a_need_met_once(language: str, question: str) -> None:
    note = TopicNote()
    agent = agent_with(note)
    await agent.start("c", channel="web", customer_id="C1", language=language)
    first = await agent.handle("c", question)
    assert first.reply.citations[0]["doc"] == "returns" and first.reply.text.rstrip(")）").endswith("policy:returns")
    assert note.needs == [Need("policy:returns", "policy_question", topic="returns")]
    again = await agent.handle("c", question)  # the same need: followed up already
    assert again.reply.citations and not any(c["type"] == "note" for c in again.reply.cards)
    assert len(note.needs) == 1


async def test_an_answer_that_found_nothing_meets_no_need() -> None:
    note = TopicNote()
    agent = agent_with(note)
    await agent.start("c", channel="web", customer_id="C1", language="en")
    result = await agent.handle("c", "Do you ship to the moon, what is your policy?")
    assert not result.reply.citations and note.needs == []


async def test_a_return_filed_is_a_need_met() -> None:
    note = TopicNote()
    agent = agent_with(note)
    await agent.start("c", channel="web", customer_id="C1", language="en")
    stated = await agent.handle("c", "I want to return order KF10000001, I changed my mind")
    assert note.needs == [] and not any(c["type"] == "note" for c in stated.reply.cards)  # only asked: no need met
    filed = await agent.handle("c", "yes")
    [need] = note.needs
    assert need.source == "request_return" and need.key.startswith("return:R") and need.products == ("P0002",)
    assert filed.reply.text.endswith(f"({need.key})") and "R" in filed.reply.text


async def test_the_higher_priority_follower_is_asked_first_and_heard_alone() -> None:
    class Nudge(ThankYouNote):
        name = "nudge"
        follow_priority: ClassVar[int] = 10
        templates: ClassVar[dict[str, dict[str, str]]] = {"zh": {"nudge.follow": "凑单提醒。"},
                                                          "en": {"nudge.follow": "Nearly there."}}

        def __init__(self, speak: bool) -> None:
            super().__init__()
            self.speak = speak

        async def follow(self, need: Need, state: DialogueState, ctx: ToolContext) -> ToolResult | None:
            self.needs.append(need)
            return ToolResult(data={}, cards=[{"type": "nudge", "id": need.key}]) if self.speak else None

    for speak, heard in ((True, "nudge"), (False, "note")):
        note, nudge = ThankYouNote(), Nudge(speak)
        agent = make_agent(tools=[*commerce_tools(MemoryOrders()), note, nudge])  # the note registered first
        assert [t.name for t in agent.tools.followers("order_status")] == ["nudge", "thank_you_note"]
        await agent.start("c", channel="web", customer_id="C1", language="en")
        result = await agent.handle("c", "Where is my order KF10000002?")
        assert [c["type"] for c in result.reply.cards] == ["order", heard]  # one follow-up per turn
        assert len(nudge.needs) == 1 and len(note.needs) == (0 if speak else 1)
