"""The turn pipeline end to end in process, with in-memory ports."""

from __future__ import annotations

import pytest

from agent.affect import TextAffect
from agent.errors import InvalidMessage, UnknownConversation
from agent.events import replay
from agent.nlg import TemplateNLG
from agent.nlu import NLU
from agent.pipeline import Agent, TurnInput
from agent.state import DialogueState
from tests.fakes import CATEGORIES, NOW, KeywordRetriever, MemoryCatalog, MemoryEventStore, MemoryOrders
from tools.commerce.orders import OrderStatusTool
from tools.commerce.products import ProductSearchTool
from tools.commerce.returns import ReturnRequestTool

pytestmark = pytest.mark.unit

_AFFECT = TextAffect()


@pytest.fixture
def orders() -> MemoryOrders:
    return MemoryOrders()


@pytest.fixture
def agent(orders: MemoryOrders) -> Agent:
    lexicon = {c.key: [*c.keywords_zh, *c.keywords_en, c.name_zh, c.name_en] for c in CATEGORIES}
    return Agent(
        nlg=TemplateNLG(),
        store=MemoryEventStore(),
        nlu=NLU(lexicon, today=NOW.date()),
        affect=_AFFECT,
        retriever=KeywordRetriever(),
        tools=[OrderStatusTool(orders), ReturnRequestTool(orders), ProductSearchTool(MemoryCatalog())],
        clock=lambda: NOW,
    )


async def _conv(agent: Agent, customer: str | None = "C1", language: str | None = None) -> str:
    await agent.start("c-1", channel="web", customer_id=customer, language=language)
    return "c-1"


async def test_order_status_zh_states_real_status_and_latest_event(agent: Agent) -> None:
    cid = await _conv(agent)
    result = await agent.handle(cid, "我的订单KF10000002到哪了？")
    assert "KF10000002" in result.reply.text
    assert "运输中" in result.reply.text and "上海转运中心" in result.reply.text
    assert result.reply.cards[0]["type"] == "order"
    assert result.state.intent == "order_status"
    assert result.state.slot("order_id") == "KF10000002"


async def test_order_status_en(agent: Agent) -> None:
    cid = await _conv(agent)
    result = await agent.handle(cid, "Where is my order KF10000002?")
    assert "in transit" in result.reply.text and "Shanghai hub" in result.reply.text
    assert result.state.language == "en"


async def test_other_customers_order_reveals_nothing(agent: Agent) -> None:
    cid = await _conv(agent)
    result = await agent.handle(cid, "Where is order KF20000001?")
    text = result.reply.text
    assert "couldn't find" in text
    assert "Star Phone" not in text and "transit" not in text and not result.reply.cards


async def test_missing_order_id_asks_and_next_turn_fills_it(agent: Agent) -> None:
    cid = await _conv(agent)
    first = await agent.handle(cid, "我的快递到哪了")
    assert {c["id"] for c in first.reply.cards} >= {"KF10000001", "KF10000002"}
    assert first.state.requested == ("order_status", "order_id")
    second = await agent.handle(cid, "KF10000002")
    assert "运输中" in second.reply.text


async def test_return_inside_window_creates_return_once_confirmed(agent: Agent, orders: MemoryOrders) -> None:
    cid = await _conv(agent)
    stated = await agent.handle(cid, "我要退货，订单KF10000001，不想要了")
    assert not orders.returns and "KF10000001" in stated.reply.text and "59.00" in stated.reply.text
    result = await agent.handle(cid, "确认提交")
    assert len(orders.returns) == 1
    assert orders.returns[0].return_id in result.reply.text and "59.00" in result.reply.text


async def test_return_outside_window_refused_with_reason(agent: Agent, orders: MemoryOrders) -> None:
    cid = await _conv(agent)
    result = await agent.handle(cid, "I want to return order KF10000003, I changed my mind")
    assert not orders.returns
    assert "30 days ago" in result.reply.text and "7-day" in result.reply.text


async def test_return_of_excluded_item_refused(agent: Agent, orders: MemoryOrders) -> None:
    cid = await _conv(agent)
    result = await agent.handle(cid, "我要退货 KF10000004 不想要了")
    assert not orders.returns and "不支持七天无理由" in result.reply.text


async def test_policy_question_cites_document(agent: Agent) -> None:
    cid = await _conv(agent)
    result = await agent.handle(cid, "7天无理由退货从哪天开始算？")
    assert result.state.intent == "policy_question"
    assert result.reply.citations[0]["doc"] == "returns"
    assert "7天" in result.reply.text


async def test_product_search_returns_cards_of_that_kind(agent: Agent) -> None:
    cid = await _conv(agent)
    result = await agent.handle(cid, "我想买手机壳")
    assert result.reply.cards and all(c["type"] == "product" for c in result.reply.cards)
    assert {c["id"] for c in result.reply.cards} == {"P0002", "P0004"}
    assert result.reply.cards[0]["in_stock"] is True


async def test_angry_complaint_gets_empathy_and_offer_then_escalates(agent: Agent) -> None:
    cid = await _conv(agent)
    first = await agent.handle(cid, "你们什么破服务，太差了，气死我了！！")
    affect = first.state.public()["affect"]
    assert affect["label"] == "anger" and affect["score"] < -0.5
    assert "抱歉" in first.reply.text and "人工" in first.reply.text
    assert first.state.handoff == "bot"
    second = await agent.handle(cid, "垃圾！骗子！还不给我解决！！")
    assert second.state.handoff == "queued"


async def test_asking_for_human_queues(agent: Agent) -> None:
    cid = await _conv(agent)
    result = await agent.handle(cid, "I want to talk to a human")
    assert result.state.handoff == "queued"


async def test_accepting_offered_human_queues(agent: Agent) -> None:
    cid = await _conv(agent)
    await agent.handle(cid, "This is ridiculous, worst service ever!!")
    result = await agent.handle(cid, "yes")
    assert result.state.handoff == "queued"


async def test_rebuilt_state_equals_live_state(agent: Agent) -> None:
    cid = await _conv(agent)
    for text in ["你好", "我的快递到哪了", "KF10000002", "我要退货 KF10000001 不想要了", "太差了！！气死了", "转人工"]:
        live = (await agent.handle(cid, text)).state
    rebuilt = await agent.rebuild(cid)
    assert rebuilt.snapshot() == live.snapshot()
    assert replay(agent.store.logs[cid], DialogueState(cid)).snapshot() == live.snapshot()  # type: ignore[attr-defined]


async def test_duplicate_client_message_is_processed_once(agent: Agent, orders: MemoryOrders) -> None:
    cid = await _conv(agent)
    await agent.handle(cid, TurnInput("我要退货 KF10000001 不想要了", client_msg_id="m1"))
    await agent.handle(cid, TurnInput("确认提交", client_msg_id="m2"))
    again = await agent.handle(cid, TurnInput("确认提交", client_msg_id="m2"))  # a retried send
    assert again.duplicate and len(orders.returns) == 1


async def test_bad_input(agent: Agent) -> None:
    with pytest.raises(UnknownConversation):
        await agent.handle("nope", "hi")
    cid = await _conv(agent)
    with pytest.raises(InvalidMessage):
        await agent.handle(cid, "x" * 100_000)
    with pytest.raises(InvalidMessage):
        await agent.handle(cid, "   ")


async def test_anonymous_customer_proves_the_order_with_its_phone_or_email(agent: Agent) -> None:
    cid = await _conv(agent, customer=None)
    result = await agent.handle(cid, "Where is my order KF10000002?")
    assert "phone number or email" in result.reply.text and not result.reply.cards
    assert result.state.requested == ("order_status", "phone|email")
    wrong = await agent.handle(cid, "13900139000")  # another customer's phone: the order is not found
    assert "couldn't find order KF10000002" in wrong.reply.text and not wrong.reply.cards
    right = await agent.handle(cid, "it's c1@example.com")
    assert "KF10000002" in right.reply.text and "in transit" in right.reply.text and right.reply.cards
    other = await agent.handle(cid, "Where is KF20000001? my phone is 13800138000")  # C2's order, C1's phone
    assert "couldn't find order KF20000001" in other.reply.text and not other.reply.cards


async def test_anonymous_customer_is_asked_to_sign_in_for_a_return(agent: Agent) -> None:
    cid = await _conv(agent, customer=None)
    result = await agent.handle(cid, "I want to return order KF10000001, I changed my mind. My phone is 13800138000")
    assert "sign in" in result.reply.text and not result.reply.cards
