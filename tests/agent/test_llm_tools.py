"""LLM tool proposals: the state and policy decide; refused proposals never run."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import pytest

from agent.affect import TextAffect
from agent.events import ToolCalled, ToolProposalRefused
from agent.nlg import TemplateNLG
from agent.nlu import NLU
from agent.pipeline import Agent
from agent.proposals import ToolProposer
from agent.protocols import ChatMessage, LLMResponse, ToolCallProposal
from tests.fakes import CATEGORIES, NOW, KeywordRetriever, MemoryCatalog, MemoryEventStore, MemoryOrders
from tools.commerce.orders import OrderStatusTool
from tools.commerce.products import ProductSearchTool
from tools.commerce.returns import ReturnRequestTool

pytestmark = pytest.mark.unit


class ProposingLLM:
    """Answers each `complete` with the next scripted round of calls (then none); records what it was sent."""

    name = "proposing"

    def __init__(self, *calls: ToolCallProposal, rounds: Sequence[Sequence[ToolCallProposal]] = ()) -> None:
        self.rounds = [list(r) for r in rounds] if rounds else [list(calls)]
        self.requests: list[tuple[list[ChatMessage], str | None]] = []

    async def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> AsyncIterator[str]:
        yield ""

    async def complete(
        self, messages: Sequence[ChatMessage], *, tools=None, max_tokens: int = 256, tool_choice: str | None = None
    ) -> LLMResponse:
        names = {t["function"]["name"] for t in tools or ()}
        assert names == ({tool_choice} if tool_choice else {"order_status", "product_search", "request_return"})
        self.requests.append((list(messages), tool_choice))
        return LLMResponse("", self.rounds.pop(0) if self.rounds else [])


class CountingOrders(MemoryOrders):
    def __init__(self) -> None:
        super().__init__()
        self.returns_made = 0

    def create_return(self, **kw):  # type: ignore[no-untyped-def]
        self.returns_made += 1
        return super().create_return(**kw)


def make_agent(llm: ProposingLLM, orders: MemoryOrders | None = None) -> Agent:
    orders = orders or MemoryOrders()
    tools = [OrderStatusTool(orders), ReturnRequestTool(orders), ProductSearchTool(MemoryCatalog())]
    lexicon = {c.key: [*c.keywords_zh, *c.keywords_en, c.name_zh, c.name_en] for c in CATEGORIES}
    return Agent(
        nlg=TemplateNLG(),
        store=MemoryEventStore(),
        nlu=NLU(lexicon),
        affect=TextAffect(),
        retriever=KeywordRetriever(),
        tools=tools,
        clock=lambda: NOW,
        proposer=ToolProposer(llm, {t.name: t for t in tools}),
        propose_when="always",
    )


async def _turn(agent: Agent, text: str):
    await agent.start("c", channel="web", customer_id="C1", language=None)
    return await agent.handle("c", text)


async def test_accepted_order_status_proposal_runs_and_is_attributed() -> None:
    result = await _turn(
        make_agent(ProposingLLM(ToolCallProposal("order_status", {"order_id": "KF10000002"}))),
        "KF10000002 这个订单现在什么情况",
    )
    calls = [e for e in result.events if isinstance(e, ToolCalled)]
    assert [(c.tool, c.args, c.proposed_by) for c in calls] == [("order_status", {"order_id": "KF10000002"}, "llm")]
    assert "运输中" in result.reply.text


async def test_another_customers_order_is_refused_and_never_looked_up() -> None:
    result = await _turn(
        make_agent(ProposingLLM(ToolCallProposal("order_status", {"order_id": "KF20000001"}))), "What about KF20000001?"
    )
    refused = [e for e in result.events if isinstance(e, ToolProposalRefused)]
    assert [(r.tool, r.reason) for r in refused] == [("order_status", "not_owned")]
    assert not any(isinstance(e, ToolCalled) and e.proposed_by == "llm" for e in result.events)
    assert "Star Phone" not in result.reply.text


async def test_invented_order_id_is_refused() -> None:
    result = await _turn(
        make_agent(ProposingLLM(ToolCallProposal("order_status", {"order_id": "KF10000001"}))),
        "Where is my order KF10000002?",
    )
    assert [e.reason for e in result.events if isinstance(e, ToolProposalRefused)] == ["order_not_mentioned"]
    calls = [e for e in result.events if isinstance(e, ToolCalled)]
    assert [c.args.get("order_id") for c in calls] == ["KF10000002"]  # the rule-based path answered
    assert all(c.proposed_by == "policy" for c in calls)


@pytest.mark.parametrize("arguments", [{"order_id": "12345"}, {"order_id": "KF10000002; DROP TABLE"}])
async def test_arguments_outside_the_schema_are_refused(arguments: dict) -> None:
    result = await _turn(
        make_agent(ProposingLLM(ToolCallProposal("order_status", arguments))), "Where is my order KF10000002?"
    )
    assert [e.reason for e in result.events if isinstance(e, ToolProposalRefused)] == ["invalid_arguments"]


async def test_unknown_tool_and_unrequested_side_effect_are_refused() -> None:
    orders = CountingOrders()
    llm = ProposingLLM(
        ToolCallProposal("delete_account", {}), ToolCallProposal("request_return", {"order_id": "KF10000001"})
    )
    result = await _turn(make_agent(llm, orders), "Where is my order KF10000001?")
    reasons = [e.reason for e in result.events if isinstance(e, ToolProposalRefused)]
    assert reasons == ["unknown_tool", "not_requested"]
    assert orders.returns_made == 0


async def test_the_tool_the_rules_chose_is_forced_and_an_open_question_is_left_to_the_model() -> None:
    llm = ProposingLLM(ToolCallProposal("order_status", {"order_id": "KF10000002"}))
    await _turn(make_agent(llm), "Where is my order KF10000002?")
    assert [choice for _, choice in llm.requests] == ["order_status"]  # the model only fills the arguments

    llm = ProposingLLM()
    await _turn(make_agent(llm), "Where is my order?")  # no order id yet: the rules ask, the model decides
    assert [choice for _, choice in llm.requests] == [None]


async def test_refusal_goes_back_to_the_model_and_its_second_proposal_runs() -> None:
    orders = CountingOrders()
    llm = ProposingLLM(
        rounds=[
            [ToolCallProposal("order_status", {"order_id": "KF20000001"}, id="c1")],
            [ToolCallProposal("order_status", {"order_id": "KF10000002"})],
        ]
    )
    result = await _turn(make_agent(llm, orders), "Is KF20000001 or KF10000002 mine? Where is it?")
    assert [e.reason for e in result.events if isinstance(e, ToolProposalRefused)] == ["not_owned"]
    calls = [e for e in result.events if isinstance(e, ToolCalled)]
    assert [(c.args, c.proposed_by) for c in calls] == [({"order_id": "KF10000002"}, "llm")]
    second, choice = llm.requests[1]
    assert choice is None  # after a refusal the model may also call nothing
    assert second[-3].role == "assistant" and second[-3].tool_calls[0].id == "c1"
    assert second[-2].role == "tool" and second[-2].tool_call_id == "c1"
    assert "KF20000001" in second[-2].content and "does not belong to this customer" in second[-2].content
    assert second[-1].role == "user" and second[-1].content == second[-2].content  # for servers that drop tool text
    assert "KF20000001" not in result.reply.text and "in transit" in result.reply.text


async def test_a_second_refusal_ends_the_rounds_and_the_rules_answer() -> None:
    orders = CountingOrders()
    bad = [ToolCallProposal("request_return", {"order_id": "KF10000001"})]
    llm = ProposingLLM(rounds=[bad, bad, bad])
    result = await _turn(make_agent(llm, orders), "订单KF10000001到哪了？")
    assert [e.reason for e in result.events if isinstance(e, ToolProposalRefused)] == ["not_requested"] * 2
    assert len(llm.requests) == 2 and orders.returns_made == 0
    calls = [e for e in result.events if isinstance(e, ToolCalled)]
    assert [(c.tool, c.proposed_by) for c in calls] == [("order_status", "policy")]
    assert "顾客并没有提出" in llm.requests[1][0][-2].content  # told, in the customer's language, why


def test_the_routing_prompt_names_each_tool_by_its_declared_purpose() -> None:
    """Built from the tools' declarations, the prompt reads as it did when it was written by hand."""
    orders = MemoryOrders()
    tools = [OrderStatusTool(orders), ReturnRequestTool(orders), ProductSearchTool(MemoryCatalog())]
    proposer = ToolProposer(ProposingLLM(), tools)
    zh = "查订单状态用 order_status，找商品用 product_search，申请退货用 request_return。"
    assert zh in proposer.route_prompt("zh")
    assert (
        "Call order_status to look up an order, product_search to find products, request_return to start a return."
        in proposer.route_prompt("en")
    )
