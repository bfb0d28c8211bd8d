"""The follow-up hook, with a tool of this file alone (nothing under `agent/` names it): a tool that `follows` the
order tool adds one line and card after an answered order question, and one that follows `product_interacted`
speaks up after a product is added to the cart; never after a failed or unfinished call, nor to an upset customer,
nor while a person is waited for; a follow-up that fails costs the reply nothing. Calm cue words win over an intent
the tool `overrides`."""

from __future__ import annotations

from typing import ClassVar

import pytest
from pydantic import BaseModel

from agent.events import BotUttered, Event, ProductInteracted
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
