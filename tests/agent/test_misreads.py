"""Misreads of real shoppers' words fixed in general, not per sentence (issue 14): nobody closes a conversation with
a question, so a question read as a goodbye is read again without the closing acts; a calm report that the goods
arrived is an acknowledgement, whatever the intent model leaned to (a complaint, tracking, delivery times). Every
sentence here is written for the tests."""

from __future__ import annotations

import pytest

from agent.nlu import NLU
from prompts import template
from tests.fakes import ask, make_agent

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text", ["have you all colours?", "have you any in stock?", "do you have all the sizes?",
                                  "what sizes have you got?"])
def test_a_question_is_never_read_as_a_goodbye(trained_nlu: NLU, text: str) -> None:
    read = trained_nlu.parse(text)
    assert read.intent not in ("goodbye", "thanks") and read.fine_intent not in ("goodbye", "thanks"), read


@pytest.mark.parametrize(("text", "intent"), [("have a nice day", "goodbye"), ("ok bye", "goodbye"),
                                              ("thanks a lot!", "thanks"), ("再见", "goodbye"), ("谢谢啦", "thanks")])
def test_closing_acts_stay_closing_acts(trained_nlu: NLU, text: str, intent: str) -> None:
    assert trained_nlu.parse(text).intent == intent


async def test_a_question_with_goodbye_words_gets_no_farewell() -> None:
    _, bot = await ask(make_agent(), "have you all colours?", customer_id="C1")
    assert bot.text != template("goodbye", "en")


@pytest.mark.parametrize(("text", "language"), [
    ("东西收到了", "zh"), ("包裹已经收到啦", "zh"), ("快递到了，谢谢", "zh"), ("my order has arrived", "en"),
    ("got the package", "en"), ("my package just arrived, thank you", "en")])
async def test_the_goods_arrived_gets_an_acknowledgement(text: str, language: str) -> None:
    result, bot = await ask(make_agent(), text, customer_id="C1")
    assert bot.text in (template("ack", language), template("thanks", language)), bot.text
    assert not result.reply.citations and not result.reply.offer_human


@pytest.mark.parametrize("text", ["东西收到了，但是屏幕碎了", "快递到了吗", "my parcel arrived broken and I'm furious"])
async def test_a_problem_or_a_question_about_arrival_is_no_acknowledgement(text: str) -> None:
    _, bot = await ask(make_agent(), text, customer_id="C1")
    assert bot.text not in (template("ack", "zh"), template("ack", "en")), bot.text
