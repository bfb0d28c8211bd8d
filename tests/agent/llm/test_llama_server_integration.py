"""The bundled model behind `python -m llama_cpp.server` (what vLLM is in production), through our backend.

Skips when llama_cpp or the assembled model is missing (run `make llm`), except under CI, where it
fails: CI must exercise the real model. Slow on two cores (a turn takes 20–180 s depending on load):
keep these few.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from agent.events import BotUttered, ToolCalled
from agent.llm import GuardedLLM, LocalLlamaLLM, OpenAICompatibleLLM, tool_schema
from agent.nlg import build_turn
from agent.protocols import ChatMessage
from tests.agent.llm.llama_server import MODEL, llama_server, real_pipeline, require_model
from tools.commerce.orders import OrderStatusTool

pytestmark = pytest.mark.integration
FACTS = {
    "order_id": "KF10000002",
    "status": "shipped",
    "items_zh": ["蓝牙耳机"],
    "items_en": ["Bluetooth earphones"],
    "shipment": {"carrier": "顺丰速运 SF Express", "tracking_no": "SF1234567890", "status": "in_transit"},
}


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with llama_server(tmp_path_factory.mktemp("llama-server")) as (_, url):
        yield url


@pytest.fixture
def llm(base_url: str) -> GuardedLLM:
    return GuardedLLM(
        OpenAICompatibleLLM(base_url, "qwen2.5-coder-1.5b-instruct", timeout=240),
        timeout_s=240,
        first_token_timeout_s=180,
        stall_timeout_s=60,
    )


async def test_zh_reply_streams_chinese_grounded_in_the_facts(llm: GuardedLLM) -> None:
    turn = build_turn("zh", "我的订单KF10000002到哪了？", facts=FACTS)
    text = "".join([t async for t in llm.stream(turn.messages, max_tokens=60)])
    assert len(re.findall(r"[\u4e00-\u9fff]", text)) >= 5, text
    assert "KF10000002" in text or "运输" in text or "发货" in text, text


async def test_en_reply_is_english(llm: GuardedLLM) -> None:
    turn = build_turn("en", "Where is my order KF10000002?", facts=FACTS)
    response = await llm.complete(turn.messages, max_tokens=60)
    assert len(re.findall(r"[A-Za-z]+", response.text)) >= 4, response.text
    assert not re.search(r"[\u4e00-\u9fff]", response.text), response.text


async def test_in_process_model_answers_grounded_and_fills_a_forced_call() -> None:
    """The embedded default: llama_cpp.Llama in a worker thread; a forced call's arguments come out as JSON
    under the tool's schema."""
    require_model()
    llm = GuardedLLM(LocalLlamaLLM(MODEL), timeout_s=240, first_token_timeout_s=180, stall_timeout_s=60)
    try:
        turn = build_turn("zh", "我的订单KF10000002到哪了？", facts=FACTS)
        text = "".join([t async for t in llm.stream(turn.messages, max_tokens=60)])
        assert len(re.findall(r"[\u4e00-\u9fff]", text)) >= 5, text
        messages = [
            ChatMessage("system", "You are the store's customer-service assistant. Use the tools to look up orders."),
            ChatMessage("user", "Where is my order KF10000002?"),
        ]
        response = await llm.complete(
            messages, tools=[tool_schema(OrderStatusTool)], max_tokens=60, tool_choice="order_status"
        )
        assert [(c.name, c.arguments.get("order_id")) for c in response.tool_calls] == [
            ("order_status", "KF10000002")
        ], response
    finally:
        await llm.aclose()


# ------------------------------------------------------------------ the whole turn over the real model


@pytest.mark.parametrize(
    ("text", "statuses"),
    [
        ("我的订单KF10000002到哪了？", ("运输中", "已发货")),
        ("Where is my order KF10000002?", ("in transit", "shipped")),
    ],
)
async def test_turn_runs_the_models_tool_call_and_streams_the_real_status(
    base_url: str, text: str, statuses: tuple[str, ...]
) -> None:
    """The NLU knows an order question, so the order tool is forced and the model fills its arguments: the
    lookup that runs is the model's proposal, and its streamed wording states the order's real status."""
    tokens: list[str] = []
    agent = real_pipeline(base_url, tokens)
    await agent.start("c", channel="web", customer_id="C1", language=None)
    result = await agent.handle("c", text)
    calls = [e for e in result.events if isinstance(e, ToolCalled)]
    assert [(c.tool, c.args, c.proposed_by) for c in calls] == [("order_status", {"order_id": "KF10000002"}, "llm")]
    bot = [e for e in result.events if isinstance(e, BotUttered)][-1]
    streamed = "".join(tokens).strip()
    assert (bot.source, bot.fallback) == ("llm", None), (bot.fallback, streamed)
    assert streamed == result.reply.text == bot.text
    assert any(s in streamed.lower() for s in statuses), streamed
