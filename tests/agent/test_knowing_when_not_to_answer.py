"""Knowing when not to answer: a retrieval answer needs enough evidence (`Passage.sufficient`), below it the bot asks
back — about the order or product the conversation is on, when there is one — and never quotes the nearest
document; a short acknowledgement gets a short one back. Every customer sentence here is written for these tests."""

from __future__ import annotations

from dataclasses import replace

import pytest

from agent.protocols import Passage
from prompts import template
from tests.fakes import KeywordRetriever, make_agent

pytestmark = pytest.mark.unit


class WeakRetriever(KeywordRetriever):
    """Finds the same passages, but nothing it finds clears the evidence floor."""

    def search(self, query: str, *, k: int = 3, language: str | None = None) -> list[Passage]:
        return [replace(p, evidence=0.5, sufficient=False) for p in super().search(query, k=k, language=language)]


async def test_a_retrieval_answer_without_enough_evidence_asks_back_instead_of_citing() -> None:
    agent = make_agent(retriever=WeakRetriever())
    await agent.start("c", channel="web", customer_id="C1", language=None)
    weak = await agent.handle("c", "退货的话发票要怎么处理？")
    assert not weak.reply.citations and "？" in weak.reply.text
    assert weak.reply.text == template("clarify", "zh")
    strong = make_agent(retriever=KeywordRetriever())
    await strong.start("c", channel="web", customer_id="C1", language=None)
    answered = await strong.handle("c", "退货的话发票要怎么处理？")
    assert answered.reply.citations  # the same question with enough evidence is answered from the document


async def test_the_question_back_uses_the_order_just_discussed() -> None:
    agent = make_agent(retriever=WeakRetriever())
    await agent.start("c", channel="web", customer_id="C1", language=None)
    await agent.handle("c", "Where is my order KF10000002?")
    vague = await agent.handle("c", "what's the policy on invoices for returns then?")
    assert "KF10000002" in vague.reply.text and "?" in vague.reply.text and not vague.reply.citations


@pytest.mark.parametrize(("text", "language"), [("哦哦", "zh"), ("收到", "zh"), ("got it", "en"), ("I see", "en")])
async def test_a_short_acknowledgement_gets_a_short_one(text: str, language: str) -> None:
    agent = make_agent()
    await agent.start("c", channel="web", customer_id="C1", language=language)
    result = await agent.handle("c", text)
    assert result.reply.text == template("ack", language) and not result.reply.citations


async def test_small_talk_is_still_steered_back_but_a_question_about_something_is_asked_back() -> None:
    agent = make_agent()
    await agent.start("c", channel="web", customer_id="C1", language="en")
    chat = await agent.handle("c", "Do you enjoy rainy weather?")
    assert chat.reply.text.startswith(template("fallback", "en"))
    pointed = await agent.handle("c", "and what about that one?")
    assert pointed.reply.text == template("clarify", "en")
