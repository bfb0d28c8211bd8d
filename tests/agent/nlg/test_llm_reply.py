"""LLM-worded replies in the pipeline: streamed, grounded, and replaced by the template when unsafe."""

from __future__ import annotations

import pytest

from agent.pipeline import Agent
from tests.fakes import FakeAffect, FakeNLU, ScriptedLLM, ask, make_agent

pytestmark = pytest.mark.unit


def worded_by(llm: ScriptedLLM, tokens: list[str] | None = None) -> Agent:
    return make_agent(llm=llm, tokens=tokens, nlu=FakeNLU(), affect=FakeAffect())


async def test_grounded_llm_reply_is_streamed_and_used() -> None:
    tokens: list[str] = []
    llm = ScriptedLLM("您好，订单 KF10000002 正在运输中，最新一站是上海转运中心。")
    result, bot = await ask(worded_by(llm, tokens), "我的订单KF10000002到哪了？")
    assert result.reply.source == "llm" and bot.source == "llm" and bot.fallback is None
    assert "".join(tokens) == result.reply.text == bot.text
    assert result.reply.cards and result.reply.cards[0]["id"] == "KF10000002"  # cards stay from the tools
    facts = llm.prompts[0][-1].content
    assert "KF10000002" in facts and "上海转运中心" in facts


async def test_made_up_amount_is_caught_and_template_answers() -> None:
    llm = ScriptedLLM("Order KF10000002 is in transit, and we refunded ¥999 to you.")
    result, bot = await ask(worded_by(llm), "Where is my order KF10000002?")
    assert result.reply.source == "template" and bot.fallback == "guard"
    assert "999" not in result.reply.text and "in transit" in result.reply.text


@pytest.mark.parametrize("reason", ["timeout", "stall", "error"])
async def test_unavailable_llm_falls_back_to_the_template(reason: str) -> None:
    result, bot = await ask(worded_by(ScriptedLLM(fail=reason)), "Where is my order KF10000002?")  # type: ignore[arg-type]
    assert result.reply.source == "template" and bot.fallback == f"llm_{reason}"
    assert "KF10000002" in result.reply.text


async def test_handoff_and_slot_questions_stay_templated() -> None:
    llm = ScriptedLLM("anything")
    agent = worded_by(llm)
    result, bot = await ask(agent, "I want to talk to a human")
    assert result.state.handoff == "queued" and bot.source == "template" and not llm.prompts
    result = await agent.handle("c", "Where is my package?")
    assert result.state.requested == ("order_status", "order_id") and not llm.prompts
