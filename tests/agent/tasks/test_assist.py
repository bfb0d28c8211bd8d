"""Agent-assist drafts for operators through the LLM interface (scripted OpenAI-compatible server):
grounded drafts in the customer's language, guarded, time-boxed, templates otherwise."""

from __future__ import annotations

import time

import pytest

from agent.events import Event
from agent.state import DialogueState
from agent.tasks.assist import draft_operator_replies, parse_drafts
from prompts.assist import suggested_replies
from tests.fakes import ask, make_agent
from tests.fakes.openai_server import Reply, ScriptedOpenAIServer

pytestmark = [pytest.mark.unit, pytest.mark.allow_loopback]

ZH_DRAFTS = (
    "1. 您好，我是王芳，您的订单KF10000002已发货，目前运输中，已到达上海转运中心。\n"
    "2. 订单KF10000002由顺丰速运配送，运单号SF0000000002，您可以随时查看物流。\n"
    "3. 给您带来不便很抱歉，包裹一有新动态我会第一时间通知您。"
)


async def conversation(text: str) -> tuple[DialogueState, list[Event]]:
    """A templated conversation (no LLM) with one customer turn; its state and event log."""
    agent = make_agent()
    await ask(agent, text)
    return await agent.state("c"), await agent.store.load("c")


async def test_grounded_drafts_in_chinese_come_from_the_llm() -> None:
    state, events = await conversation("我的订单KF10000002到哪了？")
    with ScriptedOpenAIServer() as server:
        server.push(Reply(text=ZH_DRAFTS))
        drafts = await draft_operator_replies(server.llm(), state, events, operator="王芳")
        prompt = server.requests[0]["messages"]
    assert drafts.source == "llm" and drafts.fallback is None and len(drafts.suggestions) == 3
    assert drafts.suggestions[0].startswith("您好，我是王芳") and not drafts.rejected
    assert "人工客服" in prompt[0]["content"]
    facts = prompt[-1]["content"]  # the conversation's facts and transcript, in the customer's language
    assert "KF10000002" in facts and "上海转运中心" in facts and "顾客: 我的订单KF10000002到哪了？" in facts


async def test_a_draft_with_a_made_up_fact_is_dropped_and_the_rest_kept() -> None:
    state, events = await conversation("我的订单KF10000002到哪了？")
    with ScriptedOpenAIServer() as server:
        server.push(Reply(text=ZH_DRAFTS.replace("3. 给您带来不便很抱歉", "3. 为表歉意我们补偿您¥50元")))
        drafts = await draft_operator_replies(server.llm(), state, events, operator="王芳")
    assert drafts.source == "llm" and len(drafts.suggestions) == 2
    assert not any("50" in s for s in drafts.suggestions) and "补偿您¥50元" in drafts.rejected[0]


@pytest.mark.parametrize(
    ("text", "reply", "fallback"),
    [
        # a wrong status, a made-up date, a made-up refund
        (
            "我的订单KF10000002到哪了？",
            "1. 订单KF10000002已签收。\n2. 订单KF10000002明天12月1日送达。\n3. 退款¥3999已到账。",
            "guard",
        ),
        ("Where is my order KF10000002?", ZH_DRAFTS, "language"),  # an English customer gets English drafts only
        ("Where is my order KF10000002?", "", "empty"),
    ],
)
async def test_unusable_drafts_give_the_template_suggestions(text: str, reply: str, fallback: str) -> None:
    state, events = await conversation(text)
    with ScriptedOpenAIServer() as server:
        server.push(Reply(text=reply))
        drafts = await draft_operator_replies(server.llm(), state, events, operator="Wang Fang")
    assert drafts.source == "template" and drafts.fallback == fallback
    affect = state.current_affect.label if state.current_affect else None
    assert drafts.suggestions == suggested_replies(state.intent, affect, state.language, operator="Wang Fang")


async def test_a_slow_llm_gives_the_templates_within_the_budget() -> None:
    state, events = await conversation("Where is my order KF10000002?")
    with ScriptedOpenAIServer() as server:
        server.push(Reply(text="1. Hi.\n2. Hello.", first_token_delay_s=5))
        started = time.monotonic()
        drafts = await draft_operator_replies(server.llm(), state, events, operator="Wang Fang", budget_s=0.5)
        elapsed = time.monotonic() - started
    assert drafts.source == "template" and drafts.fallback == "llm_timeout" and elapsed < 2
    assert "Wang Fang" in drafts.suggestions[0]


async def test_without_an_llm_the_templates_answer() -> None:
    state, events = await conversation("Where is my order KF10000002?")
    drafts = await draft_operator_replies(None, state, events, operator="Wang Fang")
    assert drafts.source == "template" and drafts.fallback == "disabled" and len(drafts.suggestions) == 3


def test_draft_lines_are_parsed_in_either_numbering() -> None:
    assert parse_drafts("1、您好。\n2）好的。\n\n3. “稍等。”") == ["您好。", "好的。", "稍等。"]
    assert parse_drafts("Hi there.\nSure thing.") == ["Hi there.", "Sure thing."]
