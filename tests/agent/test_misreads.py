"""Misreads of real shoppers' words fixed in general, not per sentence (issue 14): nobody closes a conversation with
a question, so a question read as a goodbye is read again without the closing acts; a calm report that the goods
arrived is an acknowledgement, whatever the intent model leaned to (a complaint, tracking, delivery times). Every
sentence here is written for the tests."""

from __future__ import annotations

import pytest

from agent.events import BotUttered
from agent.nlu import NLU
from prompts import template
from tests.fakes import ask, make_agent
from tests.fakes.agent import StreamingAgent

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


async def test_a_question_naming_an_order_looks_it_up() -> None:
    """"Can you check KF…?" was read as unsure and sent to the policy documents, which cannot answer it: the order
    named is evidence for a task on it."""
    _, bot = await ask(make_agent(), "Can you check KF10000001?", customer_id="C1")
    assert bot.text.startswith("Your order KF10000001"), bot.text


@pytest.mark.parametrize("text", ["Can you check KF10000001 for me?", "Could you look up KF10000001 for me?"])
async def test_an_unsure_question_naming_an_order_is_asked_about_that_order(text: str) -> None:
    """Too unsure to act on, but about that order: a question back about it, not the documents nor a product
    search."""
    _, bot = await ask(make_agent(), text, customer_id="C1")
    assert bot.text == template("clarify_order", "en").format(order_id="KF10000001"), bot.text


@pytest.mark.parametrize(("text", "intent"), [
    ("I want another phone case like in KF10000001", "product_search"),
    ("Do you have earphones? my last order KF10000001 was great", "product_search"),
    ("我想买个耳机，上次KF10000001很好用", "product_search"),
    ("Can I cancel KF10000001?", "policy_question"),
])
def test_naming_an_order_beside_something_the_store_sells_keeps_the_other_task(text: str, intent: str) -> None:
    from server.demo.catalog import CATEGORIES

    nlu = NLU({c.key: [*c.keywords_zh, *c.keywords_en, c.name_zh, c.name_en] for c in CATEGORIES})
    assert nlu.parse(text).intent == intent


@pytest.mark.parametrize(("text", "heard", "language"), [
    ("Where is my order KF1234567?", "KF1234567", "en"),  # a digit short
    ("Can you check KF100000001 for me?", "KF100000001", "en"),  # a digit doubled, as a recogniser hears it
    ("I want to return KF1000004", "KF1000004", "en"),
    ("我的订单KF123456789到哪了", "KF123456789", "zh"),
])
async def test_an_order_named_with_a_wrong_number_of_digits_is_asked_for_again(
    text: str, heard: str, language: str
) -> None:
    """Not "which order?" as if none had been named, nor a product search on the words around it: the customer is
    told the number is not whole and asked for it again; their next message with the right number is answered."""
    agent = make_agent()
    _, bot = await ask(agent, text, customer_id="C1")
    assert bot.text == template("order_id_bad", language).format(heard=heard), bot.text
    again = await _reply(agent, "KF10000001")  # its status, or the return on it stated for a yes
    assert "KF10000001" in again.text and again.text != template("clarify_order", language).format(
        order_id="KF10000001"), again.text


async def test_a_wrong_id_after_an_order_was_discussed_is_not_read_as_that_order() -> None:
    agent = make_agent()
    await ask(agent, "Where is my order KF10000001?", customer_id="C1")
    bot = await _reply(agent, "and where is KF1000002?")
    assert bot.text == template("order_id_bad", "en").format(heard="KF1000002"), bot.text


async def _reply(agent: StreamingAgent, text: str) -> BotUttered:
    """The bot's answer to the next message in `ask`'s conversation."""
    result = await agent.handle("c", text)
    return [e for e in result.events if isinstance(e, BotUttered)][-1]
