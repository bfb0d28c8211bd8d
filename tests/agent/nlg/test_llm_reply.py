"""LLM-worded replies in the pipeline: streamed, grounded, and replaced by the template when unsafe."""

from __future__ import annotations

import pytest

from agent.nlg.llm_wording import SentenceGate
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


# ------------------------------------------------------------------ nothing unchecked is streamed


@pytest.mark.parametrize("chunk", [1, 4, 50])
async def test_a_made_up_amount_never_reaches_the_customer_even_while_streaming(chunk: int) -> None:
    tokens: list[str] = []
    llm = ScriptedLLM("Order KF10000002 is in transit. We also refunded ¥999 to you. Anything else?", chunk_chars=chunk)
    result, bot = await ask(worded_by(llm, tokens), "Where is my order KF10000002?")
    assert bot.source == "template" and bot.fallback == "guard"
    assert tokens == ["Order KF10000002 is in transit."]  # the checked sentence only; the template replaces it
    assert "999" not in "".join(tokens) and "in transit" in result.reply.text


async def test_a_made_up_status_in_the_first_sentence_streams_nothing() -> None:
    tokens: list[str] = []
    llm = ScriptedLLM("您的订单KF10000002已签收，请查收。", chunk_chars=1)
    result, bot = await ask(worded_by(llm, tokens), "我的订单KF10000002到哪了？")
    assert tokens == [] and bot.fallback == "guard" and result.reply.source == "template"
    assert "运输中" in result.reply.text


@pytest.mark.parametrize(("reply", "question"), [
    ("您的订单KF10000002正在运输中。为表歉意，我会给您一些补偿。", "我的订单KF10000002到哪了？"),
    ("您的订单KF10000002正在运输中。已为您发放一张优惠券。", "我的订单KF10000002到哪了？"),
    ("Order KF10000002 is in transit. I'll add compensation for the wait.", "Where is my order KF10000002?"),
    ("Order KF10000002 is in transit. Good news: your refund is approved!", "Where is my order KF10000002?"),
    ("您的订单KF10000002正在运输中。另外已经帮您把价格改好了，直接付款就行。", "我的订单KF10000002到哪了？"),
    ("Order KF10000002 is in transit. I've lowered the price for you, so just check out.",
     "Where is my order KF10000002?"),
])
async def test_a_promise_no_tool_made_is_caught_like_a_made_up_amount(reply: str, question: str) -> None:
    tokens: list[str] = []
    _, bot = await ask(worded_by(ScriptedLLM(reply), tokens), question)
    assert bot.source == "template" and bot.fallback == "guard"
    streamed = "".join(tokens)
    said = ("补偿", "优惠券", "compensation", "approved", "改好", "lowered")
    assert streamed and not any(w in streamed for w in said)


async def test_a_grounded_reply_of_several_sentences_streams_sentence_by_sentence() -> None:
    tokens: list[str] = []
    llm = ScriptedLLM("Your order KF10000002 is in transit. It is at the Shanghai hub. It should arrive soon")
    result, bot = await ask(worded_by(llm, tokens), "Where is my order KF10000002?")
    assert bot.source == "llm" and "".join(tokens) == result.reply.text
    assert tokens == ["Your order KF10000002 is in transit.", " It is at the Shanghai hub.", " It should arrive soon"]


async def test_the_gate_reads_a_decimal_or_an_abbreviation_as_no_sentence_end() -> None:
    checked: list[str] = []
    released: list[str] = []

    async def sink(piece: str) -> None:
        released.append(piece)

    gate = SentenceGate(lambda words: checked.append(words) or True, sink)
    for ch in "Refund ¥199.00 is due.Order KF10000001 too！还有吗":
        assert await gate.feed(ch)
    assert released == ["Refund ¥199.00 is due.Order KF10000001 too！"]  # "199." and "due.O" are no ends
    await gate.finish()
    assert "".join(released) == gate.text and checked == ["Refund ¥199.00 is due.Order KF10000001 too！"]
