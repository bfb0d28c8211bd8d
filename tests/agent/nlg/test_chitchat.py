"""Out-of-scope turns over the OpenAI-compatible backend (scripted server): the LLM writes a short reply
in the customer's language that steers back to the store; facts or the wrong language bring the template."""

from __future__ import annotations

import pytest

from agent.language import written_in
from agent.pipeline import Agent
from tests.fakes import ask, make_agent
from tests.fakes.openai_server import Reply, ScriptedOpenAIServer

pytestmark = [pytest.mark.unit, pytest.mark.allow_loopback]

NO_TOOL = Reply(text="无")  # the tool-routing round before the reply: nothing to call


def chat_agent(server: ScriptedOpenAIServer, tokens: list[str] | None = None) -> Agent:
    llm = server.llm(first_token_timeout_s=2, stall_timeout_s=0.5)
    return make_agent(llm=llm, proposer=llm, propose_when="always", tokens=tokens)


async def test_zh_chitchat_is_worded_by_the_llm_and_steers_back() -> None:
    tokens: list[str] = []
    words = "哈哈，天气我可查不到呢～不过查订单、退换货、挑商品我都能帮您，有什么需要吗？"
    with ScriptedOpenAIServer() as server:
        server.push(NO_TOOL, Reply(text=words))
        result, bot = await ask(chat_agent(server, tokens), "今天天气怎么样？")
        prompt = server.requests[-1]["messages"]
    assert bot.source == "llm" and bot.fallback is None and result.reply.text == words == "".join(tokens)
    assert prompt[0]["role"] == "system" and "小客" in prompt[0]["content"]  # the store's persona, cache-friendly
    assert "今天天气怎么样" in prompt[-1]["content"] and "引回" in prompt[-1]["content"]
    assert "【事实】" not in prompt[-1]["content"]  # no facts are offered to an out-of-scope reply


@pytest.mark.parametrize(
    "words",
    [
        "Ha, I can't check the weather! But we have 20% off until Dec 12 — want a look?",  # made-up offer
        "No weather here, sorry! Your order KF10000002 is on its way though.",  # an order nobody asked about
        "I can help with orders! Call us on 400-820-8820.",  # a made-up phone number
    ],
)
async def test_en_chitchat_with_any_fact_is_replaced_by_the_template(words: str) -> None:
    with ScriptedOpenAIServer() as server:
        server.push(NO_TOOL, Reply(text=words))
        result, bot = await ask(chat_agent(server), "What's the weather like today?")
    assert bot.source == "template" and bot.fallback == "guard"
    assert result.reply.text and result.reply.text != words and "20%" not in result.reply.text


async def test_chitchat_in_the_wrong_language_is_replaced_by_the_template() -> None:
    with ScriptedOpenAIServer() as server:
        server.push(NO_TOOL, Reply(text="天气我查不到哦，不过订单和退货的事我都能帮您。"))
        result, bot = await ask(chat_agent(server), "What's the weather like today?")
    assert bot.source == "template" and bot.fallback == "language"
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in result.reply.text)


def test_language_check() -> None:
    assert written_in("好的，我可以帮您查订单。", "zh") and not written_in("OK, I can help.", "zh")
    assert written_in("Sure, I can help with orders.", "en") and not written_in("Sure 好的", "en")


@pytest.mark.parametrize(
    ("text", "words", "way_back"),
    [
        ("今天天气怎么样？你喜欢看电影吗", "天气我不清楚，我喜欢看电影。", "我可以帮您查订单和物流"),
        ("Tell me a joke about cats", "I'm sorry, but I can't assist with that.", "I can help with your orders"),
    ],
)  # both seen from the bundled model
async def test_a_reply_that_does_not_steer_back_gets_the_way_back_added(text: str, words: str, way_back: str) -> None:
    tokens: list[str] = []
    with ScriptedOpenAIServer() as server:
        server.push(NO_TOOL, Reply(text=words))
        result, bot = await ask(chat_agent(server, tokens), text)
    assert bot.source == "llm" and bot.fallback is None
    assert result.reply.text.startswith(words) and way_back in result.reply.text
    assert "".join(tokens) == result.reply.text  # the added sentence is streamed like the rest
