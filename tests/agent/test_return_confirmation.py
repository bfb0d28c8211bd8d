"""A return is filed only on the customer's yes: the bot states what it will file, then the next turn decides.

The pending request lives in the event log (`ActionProposed` / `ActionSettled`), so another worker or a restart
sees it; an LLM's `kind` is held to what the customer said.
"""

from __future__ import annotations

import pytest

from agent.events import ActionProposed, ActionSettled, BotUttered, ToolCalled
from agent.protocols import ToolCallProposal
from tests.fakes import MemoryEventStore, MemoryOrders, ScriptedLLM, make_agent
from tools.commerce.returns import ReturnRequested

pytestmark = pytest.mark.unit


def of(events: list, kind: type) -> list:
    return [e for e in events if isinstance(e, kind)]


async def started(agent, language: str | None = None) -> None:
    await agent.start("c", channel="web", customer_id="C1", language=language)


@pytest.mark.parametrize(("language", "ask", "yes", "kind_name", "filed"), [
    ("zh", "我要退货，订单KF10000001，不想要了", "确认提交", "七天无理由退货", "退货单号"),
    ("en", "I want to return order KF10000001, I changed my mind", "Yes, submit it", "no-reason return",
     "Your return request R00000001"),
])
async def test_the_return_is_stated_then_filed_on_yes(language, ask, yes, kind_name, filed) -> None:
    orders = MemoryOrders()
    agent = make_agent(orders=orders)
    await started(agent)
    stated = await agent.handle("c", ask)
    assert not orders.returns and not of(stated.events, ToolCalled)  # nothing filed yet
    text = stated.reply.text
    assert "KF10000001" in text and kind_name in text and "59.00" in text  # order, kind, refund, reason stated
    chips = ["确认提交", "先不用了"] if language == "zh" else ["Yes, submit it", "No, cancel"]
    assert stated.reply.quick_replies == chips
    proposed = of(stated.events, ActionProposed)
    assert len(proposed) == 1 and proposed[0].args["order_id"] == "KF10000001"
    assert stated.state.pending_action is not None

    done = await agent.handle("c", yes)
    assert len(orders.returns) == 1 and orders.returns[0].kind == "no_reason"
    assert [s.outcome for s in of(done.events, ActionSettled)] == ["confirmed"]
    assert of(done.events, ReturnRequested)[0].return_id == orders.returns[0].return_id
    assert filed in done.reply.text and done.state.pending_action is None


@pytest.mark.parametrize(("ask", "no", "said"), [
    ("订单KF10000001收到的东西坏了，我要退货", "先不用了", "没有提交"),
    ("I'd like to return order KF10000001, it arrived broken", "No, cancel", "not filed"),
])
async def test_no_files_nothing_and_says_so(ask, no, said) -> None:
    orders = MemoryOrders()
    agent = make_agent(orders=orders)
    await started(agent)
    await agent.handle("c", ask)
    result = await agent.handle("c", no)
    assert not orders.returns and said in result.reply.text
    assert [s.outcome for s in of(result.events, ActionSettled)] == ["declined"]
    later = await agent.handle("c", "yes" if no.startswith("No") else "确认")  # nothing is pending any more
    assert not orders.returns and not of(later.events, ToolCalled)


@pytest.mark.parametrize(("ask", "other", "yes"), [
    ("我要退货，订单KF10000001，不想要了", "我的订单KF10000002到哪了？", "好的"),
    ("I want to return order KF10000001, I changed my mind", "Where is my order KF10000002?", "yes"),
])
async def test_changing_the_subject_drops_the_pending_return(ask, other, yes) -> None:
    orders = MemoryOrders()
    agent = make_agent(orders=orders)
    await started(agent)
    await agent.handle("c", ask)
    moved_on = await agent.handle("c", other)
    assert "KF10000002" in moved_on.reply.text
    assert [s.outcome for s in of(moved_on.events, ActionSettled)] == ["dropped"]
    assert moved_on.state.pending_action is None
    late_yes = await agent.handle("c", yes)
    assert not orders.returns and not of(late_yes.events, ToolCalled)


async def test_a_different_kind_in_the_answer_restates_the_return() -> None:
    orders = MemoryOrders()
    agent = make_agent(orders=orders)
    await started(agent)
    await agent.handle("c", "我要退货，订单KF10000001，不想要了")
    restated = await agent.handle("c", "不对，是质量问题，东西坏了")
    assert not orders.returns and "质量问题退货" in restated.reply.text and "KF10000001" in restated.reply.text
    assert of(restated.events, ActionProposed)[0].args["kind"] == "quality"
    await agent.handle("c", "确认提交")
    assert [r.kind for r in orders.returns] == ["quality"]


async def test_the_pending_return_survives_a_restart() -> None:
    orders, store = MemoryOrders(), MemoryEventStore()
    first = make_agent(orders=orders, store=store)
    await started(first)
    await first.handle("c", "我要退货，订单KF10000001，不想要了")
    fresh = make_agent(orders=orders, store=store)  # another worker, or the process restarted: no cache
    result = await fresh.handle("c", "确认提交")
    assert len(orders.returns) == 1 and of(result.events, ReturnRequested)
    assert result.state.snapshot() == (await fresh.rebuild("c")).snapshot()


async def test_a_return_the_policy_refuses_is_refused_at_once() -> None:
    orders = MemoryOrders()
    agent = make_agent(orders=orders)
    await started(agent)
    result = await agent.handle("c", "I want to return order KF10000003, I changed my mind")
    assert "7-day" in result.reply.text and not of(result.events, ActionProposed)
    assert result.state.pending_action is None and not orders.returns


@pytest.mark.parametrize(("ask", "kind_name"), [
    ("订单KF10000001收到的东西坏了，我要退货", "质量问题退货"),
    ("The item from order KF10000001 arrived broken, I want to return it", "quality return"),
])
async def test_an_llm_kind_against_the_customers_words_is_corrected_and_never_filed_silently(ask, kind_name) -> None:
    llm = ScriptedLLM(rounds=[[ToolCallProposal("request_return", {"order_id": "KF10000001", "kind": "no_reason"})]])
    orders = MemoryOrders()
    agent = make_agent(orders=orders, proposer=llm, propose_when="always")
    await started(agent)
    stated = await agent.handle("c", ask)
    proposed = of(stated.events, ActionProposed)
    assert len(proposed) == 1 and proposed[0].proposed_by == "llm"
    assert proposed[0].args["kind"] == "quality" and proposed[0].corrected == {"kind": "no_reason"}
    assert kind_name in stated.reply.text and not orders.returns  # stated with the customer's kind, not filed
    await agent.handle("c", "确认提交" if ask.startswith("订单") else "yes")
    assert [r.kind for r in orders.returns] == ["quality"]


async def test_an_llm_worded_filing_may_say_it_was_submitted_but_not_that_the_refund_is_approved() -> None:
    llm = ScriptedLLM()
    orders = MemoryOrders()
    tokens: list[str] = []
    agent = make_agent(orders=orders, llm=llm, tokens=tokens)
    await started(agent)
    stated = await agent.handle("c", "我要退货，订单KF10000001，不想要了")
    assert of(stated.events, BotUttered)[-1].source == "template" and not llm.prompts  # stated exactly, templated
    llm.push("已为您提交退货申请，退货单号 R00000001。您的退款已批准，很快到账。")
    done = await agent.handle("c", "确认提交")
    bot = of(done.events, BotUttered)[-1]
    assert bot.source == "template" and bot.fallback == "guard" and len(orders.returns) == 1
    assert "已批准" not in "".join(tokens)
    assert "".join(tokens) == "已为您提交退货申请，退货单号 R00000001。"  # the checked sentence, then replaced

    llm.push("已为您提交退货申请，退货单号 R00000002。")
    await agent.handle("c", "我还要退订单KF10000004，质量问题，坏了")
    again = await agent.handle("c", "确认提交")
    assert of(again.events, BotUttered)[-1].source == "llm" and len(orders.returns) == 2
