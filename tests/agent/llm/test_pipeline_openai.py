"""The turn pipeline over the OpenAI-compatible backend, against a scripted server: tool proposals,
streamed wording, the grounding guard, and failures that fall back to the template in time."""

from __future__ import annotations

import time

import pytest

from agent.affect import TextAffect
from agent.events import BotUttered, ToolCalled
from agent.llm import GuardedLLM, OpenAICompatibleLLM
from agent.llm_reply import LLMResponder
from agent.llm_tools import ToolProposer
from agent.nlu import NLU
from agent.pipeline import Agent
from tests.fakes import CATEGORIES, NOW, KeywordRetriever, MemoryCatalog, MemoryEventStore, MemoryOrders
from tests.fakes.openai_server import Reply, ScriptedOpenAIServer
from tools.orders import OrderStatusTool
from tools.products import ProductSearchTool
from tools.returns import ReturnRequestTool

pytestmark = pytest.mark.unit


def make_agent(server: ScriptedOpenAIServer, tokens: list[str], **limits: float) -> Agent:
    llm = GuardedLLM(OpenAICompatibleLLM(server.base_url, "fake", timeout=10), timeout_s=limits.get("timeout", 5),
                     first_token_timeout_s=limits.get("first", 2), stall_timeout_s=limits.get("stall", 0.5))
    orders = MemoryOrders()
    tools = [OrderStatusTool(orders), ReturnRequestTool(orders), ProductSearchTool(MemoryCatalog())]
    lexicon = {c.key: [*c.keywords_zh, *c.keywords_en, c.name_zh, c.name_en] for c in CATEGORIES}

    async def on_token(cid: str, delta: str) -> None:
        tokens.append(delta)

    return Agent(store=MemoryEventStore(), nlu=NLU(lexicon), affect=TextAffect(), retriever=KeywordRetriever(),
                 tools=tools, clock=lambda: NOW, responder=LLMResponder(llm),
                 proposer=ToolProposer(llm, {t.name: t for t in tools}), propose_when="always", on_token=on_token)


async def _turn(agent: Agent, text: str):
    await agent.start("c", channel="web", customer_id="C1", language=None)
    result = await agent.handle("c", text)
    return result, [e for e in result.events if isinstance(e, BotUttered)][-1]


async def test_llm_call_as_json_block_runs_and_streamed_reply_is_used() -> None:
    tokens: list[str] = []
    with ScriptedOpenAIServer() as server:
        server.push(Reply.json_block("order_status", {"order_id": "KF10000002"}),
                    Reply(text="Your order KF10000002 is in transit; it reached the Shanghai hub."))
        result, bot = await _turn(make_agent(server, tokens), "Where is my order KF10000002?")
    calls = [e for e in result.events if isinstance(e, ToolCalled)]
    assert [(c.tool, c.proposed_by) for c in calls] == [("order_status", "llm")]
    assert bot.source == "llm" and bot.fallback is None and len(tokens) > 3
    assert "".join(tokens).strip() == result.reply.text and "in transit" in result.reply.text


async def test_made_up_amount_is_replaced_by_the_template() -> None:
    with ScriptedOpenAIServer() as server:
        server.push(Reply(tool_calls=[("order_status", {"order_id": "KF10000002"})]),
                    Reply(text="Order KF10000002 is in transit. We also refunded ¥250.00 to your card."))
        result, bot = await _turn(make_agent(server, []), "Where is my order KF10000002?")
    assert bot.source == "template" and bot.fallback == "guard"
    assert "250" not in result.reply.text and "in transit" in result.reply.text


async def test_stall_mid_stream_answers_with_the_template_in_time_and_loses_no_event() -> None:
    with ScriptedOpenAIServer() as server:
        server.push(Reply(tool_calls=[("order_status", {"order_id": "KF10000002"})]),
                    Reply(text="Your order KF10000002 is in transit and will", stall_after=3, stall_s=20))
        agent = make_agent(server, [], stall=0.5, timeout=4)
        started = time.monotonic()
        result, bot = await _turn(agent, "Where is my order KF10000002?")
        elapsed = time.monotonic() - started
    assert elapsed < 4 and bot.fallback == "llm_stall" and bot.source == "template"
    assert "KF10000002" in result.reply.text
    log = agent.store.logs["c"]  # type: ignore[attr-defined]
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    assert [e.type for e in log][-1] == "bot_uttered"


async def test_server_error_answers_with_the_template() -> None:
    with ScriptedOpenAIServer(default=Reply(status=500)) as server:
        result, bot = await _turn(make_agent(server, []), "我的订单KF10000002到哪了？")
    assert bot.source == "template" and bot.fallback == "llm_error" and "运输中" in result.reply.text
