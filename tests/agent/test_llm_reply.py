"""LLM-worded replies in the pipeline: streamed, grounded, and replaced by the template when unsafe."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import pytest

from agent.affect import TextAffect
from agent.events import BotUttered
from agent.nlg import TemplateNLG
from agent.nlg.llm_wording import LLMResponder
from agent.nlu import NLU
from agent.pipeline import Agent
from agent.protocols import ChatMessage, LLMResponse, LLMUnavailable
from tests.fakes import CATEGORIES, NOW, KeywordRetriever, MemoryCatalog, MemoryEventStore, MemoryOrders, stream_to
from tools.commerce.orders import OrderStatusTool
from tools.commerce.products import ProductSearchTool
from tools.commerce.returns import ReturnRequestTool

pytestmark = pytest.mark.unit


class ScriptedLLM:
    """Streams the scripted reply token by token, or fails as told."""

    name = "scripted"

    def __init__(self, reply: str = "", fail: str | None = None) -> None:
        self.reply, self.fail = reply, fail
        self.prompts: list[Sequence[ChatMessage]] = []

    async def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> AsyncIterator[str]:
        self.prompts.append(messages)
        if self.fail:
            raise LLMUnavailable(self.fail)  # type: ignore[arg-type]
        for i in range(0, len(self.reply), 4):
            yield self.reply[i : i + 4]

    async def complete(
        self, messages: Sequence[ChatMessage], *, tools=None, max_tokens: int = 256, tool_choice: str | None = None
    ) -> LLMResponse:
        return LLMResponse(self.reply, [])


def make_agent(llm: ScriptedLLM, tokens: list[str]) -> Agent:
    orders = MemoryOrders()
    lexicon = {c.key: [*c.keywords_zh, *c.keywords_en, c.name_zh, c.name_en] for c in CATEGORIES}

    agent = Agent(
        nlg=TemplateNLG(),
        store=MemoryEventStore(),
        nlu=NLU(lexicon),
        affect=TextAffect(),
        retriever=KeywordRetriever(),
        tools=[OrderStatusTool(orders), ReturnRequestTool(orders), ProductSearchTool(MemoryCatalog())],
        clock=lambda: NOW,
        responder=LLMResponder(llm),
    )
    return stream_to(agent, tokens)


async def _ask(agent: Agent, text: str):
    await agent.start("c", channel="web", customer_id="C1", language=None)
    result = await agent.handle("c", text)
    bot = [e for e in result.events if isinstance(e, BotUttered)][-1]
    return result, bot


async def test_grounded_llm_reply_is_streamed_and_used() -> None:
    tokens: list[str] = []
    llm = ScriptedLLM("您好，订单 KF10000002 正在运输中，最新一站是上海转运中心。")
    result, bot = await _ask(make_agent(llm, tokens), "我的订单KF10000002到哪了？")
    assert result.reply.source == "llm" and bot.source == "llm" and bot.fallback is None
    assert "".join(tokens) == result.reply.text == bot.text
    assert result.reply.cards and result.reply.cards[0]["id"] == "KF10000002"  # cards stay from the tools
    facts = llm.prompts[0][-1].content
    assert "KF10000002" in facts and "上海转运中心" in facts


async def test_made_up_amount_is_caught_and_template_answers() -> None:
    tokens: list[str] = []
    llm = ScriptedLLM("Order KF10000002 is in transit, and we refunded ¥999 to you.")
    result, bot = await _ask(make_agent(llm, tokens), "Where is my order KF10000002?")
    assert result.reply.source == "template" and bot.fallback == "guard"
    assert "999" not in result.reply.text and "in transit" in result.reply.text


@pytest.mark.parametrize("reason", ["timeout", "stall", "error"])
async def test_unavailable_llm_falls_back_to_the_template(reason: str) -> None:
    result, bot = await _ask(make_agent(ScriptedLLM(fail=reason), []), "Where is my order KF10000002?")
    assert result.reply.source == "template" and bot.fallback == f"llm_{reason}"
    assert "KF10000002" in result.reply.text


async def test_handoff_and_slot_questions_stay_templated() -> None:
    llm = ScriptedLLM("anything")
    agent = make_agent(llm, [])
    result, bot = await _ask(agent, "I want to talk to a human")
    assert result.state.handoff == "queued" and bot.source == "template" and not llm.prompts
    result = await agent.handle("c", "Where is my package?")
    assert result.state.requested == ("order_status", "order_id") and not llm.prompts
