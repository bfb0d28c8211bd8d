"""Fast first words with the local model: the template's first sentence is said at once, the model continues it,
and only checked text reaches the customer."""

from __future__ import annotations

import pytest

from agent.events import BotUttered
from agent.nlg.llm_wording import lead_sentence
from agent.pipeline import TurnResult
from tests.fakes import FakeAffect, FakeNLU, ScriptedLLM, ask, make_agent

pytestmark = pytest.mark.unit

ZH = "我的订单KF10000002到哪了？"
EN = "Where is my order KF10000002?"


async def _turn(llm: ScriptedLLM, text: str) -> tuple[list[str], TurnResult, BotUttered]:
    tokens: list[str] = []
    result, bot = await ask(make_agent(llm=llm, tokens=tokens, nlu=FakeNLU(), affect=FakeAffect()), text)
    return tokens, result, bot


def test_the_lead_is_the_first_sentence_and_amounts_do_not_split_it() -> None:
    first = "您的订单 KF10000002 当前状态：运输中。"
    assert lead_sentence(first + "顺丰 运单号 SF1。") == first
    assert lead_sentence("Total ¥199.00 paid. Thanks.") == "Total ¥199.00 paid."
    assert lead_sentence("no end mark") == "no end mark"


@pytest.mark.parametrize(("text", "more"), [(ZH, "最新一站是上海转运中心，请耐心等待。"),
                                            (EN, " It is at the Shanghai hub now.")])
async def test_the_first_sentence_comes_before_the_model_and_the_model_continues_it(text: str, more: str) -> None:
    llm = ScriptedLLM(more, continues=True)
    tokens, result, bot = await _turn(llm, text)
    sent = llm.prompts[0]
    assert sent[-1].role == "assistant" and tokens[0] == sent[-1].content  # said first, then given to the model
    assert "KF10000002" in tokens[0]
    assert bot.source == "llm" and bot.fallback is None
    assert "".join(tokens) == result.reply.text == tokens[0] + more


async def test_a_made_up_fact_in_the_continuation_is_never_streamed_and_the_template_answers() -> None:
    llm = ScriptedLLM(" Please wait. We also refunded ¥999 to you. Bye.", continues=True, chunk_chars=1)
    tokens, result, bot = await _turn(llm, EN)
    assert bot.fallback == "guard" and result.reply.source == "template"
    streamed = "".join(tokens)
    assert "999" not in streamed and streamed == lead_sentence(result.reply.text) + " Please wait."
    assert "in transit" in result.reply.text


async def test_a_continuation_that_adds_nothing_gets_the_rest_of_the_template() -> None:
    tokens, result, bot = await _turn(ScriptedLLM("", continues=True), ZH)
    assert bot.fallback == "llm_empty" and result.reply.source == "template"
    assert "".join(tokens) == result.reply.text


async def test_a_reply_cut_off_by_the_token_budget_ends_at_its_last_whole_sentence() -> None:
    llm = ScriptedLLM(" It is at the Shanghai hub. It should arrive", continues=True, chunk_chars=1)
    tokens: list[str] = []
    agent = make_agent(llm=llm, tokens=tokens, nlu=FakeNLU(), affect=FakeAffect())
    agent.responder.continue_tokens = 30  # type: ignore[union-attr]
    result, _ = await ask(agent, EN)
    assert result.reply.text.endswith("It is at the Shanghai hub.") and "".join(tokens) == result.reply.text


async def test_a_backend_that_cannot_continue_words_the_whole_reply_as_before() -> None:
    llm = ScriptedLLM("您好，订单 KF10000002 正在运输中。")
    tokens, result, _ = await _turn(llm, ZH)
    assert llm.prompts[0][-1].role == "user"
    assert "".join(tokens) == result.reply.text == "您好，订单 KF10000002 正在运输中。"
