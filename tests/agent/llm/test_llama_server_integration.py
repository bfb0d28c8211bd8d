"""The bundled model behind `python -m llama_cpp.server` (what vLLM is in production), through our backend: whole
turns in zh and en, then the server killed mid-stream. One server for the module (a start loads 1.1 GB).

Skips when llama_cpp or the assembled model is missing (run `make llm`), except under CI, where it
fails: CI must exercise the real model. Slow on two cores (a turn takes 20–180 s depending on load):
keep these few. The kill test comes last in this file (it ends the module's server) and right after the English
turn: its reply's prompt is that turn's, which the server still holds, so the first token comes at once.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

import pytest

from agent.events import BotUttered, ToolCalled
from agent.llm import GuardedLLM, LocalLlamaLLM, tool_schema
from agent.nlg import build_turn
from agent.protocols import LLM, ChatMessage, LLMResponse
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
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    with llama_server(tmp_path_factory.mktemp("llama-server")) as running:
        yield running


@pytest.fixture
def base_url(server: tuple[subprocess.Popen[bytes], str]) -> str:
    proc, url = server
    if proc.poll() is not None:
        pytest.fail(f"the module's llama server has exited ({proc.returncode}): the kill test must come last")
    return url


async def test_in_process_model_answers_grounded_and_fills_a_forced_call() -> None:
    """The embedded default: llama_cpp.Llama in a worker thread; a forced call's arguments come out as JSON
    under the tool's schema."""
    require_model()
    llm = GuardedLLM(LocalLlamaLLM(MODEL), timeout_s=240, first_token_timeout_s=180, stall_timeout_s=60)
    try:
        turn = build_turn("zh", "我的订单KF10000002到哪了？", facts=FACTS)
        text = "".join([t async for t in llm.stream(turn.messages, max_tokens=60)])
        assert len(CJK.findall(text)) >= 5, text
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
    """The NLU knows an order question, so the order tool is forced and the model fills its arguments over the
    server (a non-streamed call): the lookup that runs is the model's proposal, and its streamed wording is in the
    customer's language and states the order's real status."""
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
    if CJK.search(text):
        assert len(CJK.findall(streamed)) >= 5, streamed
    else:  # English only: words, and not one Chinese character
        assert len(re.findall(r"[A-Za-z]+", streamed)) >= 4 and not CJK.search(streamed), streamed


# ------------------------------------------------------------------ the server killed mid-stream (last: it ends it)


class TappedLLM:
    """Passes a backend through, calling `tap` with every streamed delta as it arrives from the model."""

    name = "tapped"

    def __init__(self, inner: LLM, tap: Callable[[str], None]) -> None:
        self.inner, self.tap = inner, tap

    async def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> AsyncIterator[str]:
        async for delta in self.inner.stream(messages, max_tokens=max_tokens):
            self.tap(delta)
            yield delta

    async def complete(self, *args: Any, **kwargs: Any) -> LLMResponse:
        return await self.inner.complete(*args, **kwargs)


TURN_TIMEOUT_S = 240.0  # the guard's whole-call budget (CPU contention here can make a first token take minutes)
STALL_S = 20.0


async def test_server_killed_mid_stream_gives_the_template_in_time_and_loses_no_event(
    server: tuple[subprocess.Popen[bytes], str], base_url: str
) -> None:
    """The real OpenAI-compatible server dies mid-stream (SIGKILL on the model's first token): the customer still
    gets the template reply within the turn's time budget, the `bot_uttered` event says why, and the event log
    is complete and gap-free. The next turn, with the server gone, is answered by the template at once."""
    proc = server[0]
    tokens: list[str] = []
    killed_at: list[float] = []

    def kill_on_first_token(delta: str) -> None:
        if not killed_at:
            os.kill(proc.pid, signal.SIGKILL)
            killed_at.append(time.monotonic())

    agent = real_pipeline(base_url, tokens, propose_when="off", timeout_s=TURN_TIMEOUT_S, stall_s=STALL_S)
    # killed on the model's first token, before the reply's first sentence could pass the check
    agent.responder.llm = TappedLLM(agent.responder.llm, kill_on_first_token)  # type: ignore[union-attr]
    await agent.start("c", channel="web", customer_id="C1", language="en")
    started = time.monotonic()
    result = await agent.handle("c", "Where is my order KF10000002?")
    finished = time.monotonic()
    assert proc.wait(timeout=10) == -signal.SIGKILL

    assert killed_at, "the model never streamed a token"
    assert finished - started < TURN_TIMEOUT_S and finished - killed_at[0] < STALL_S + 2
    bot = [e for e in result.events if isinstance(e, BotUttered)][-1]
    assert bot.source == "template" and bot.fallback in ("llm_error", "llm_stall"), bot.fallback
    assert result.reply.source == "template" and "in transit" in result.reply.text  # the real status, templated
    assert "".join(tokens) != result.reply.text  # nothing unchecked was shown; the template took the bubble

    log = agent.store.logs["c"]  # type: ignore[attr-defined]
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    assert [e.type for e in log] == [
        "conversation_started",
        "user_uttered",
        "affect_observed",
        "intent_recognized",
        "slot_set",
        "tool_called",
        "tool_returned",
        "bot_uttered",
    ]
    assert [e.seq for e in result.events] == [e.seq for e in log[1:]]  # what the turn published is what is stored

    started = time.monotonic()
    again = await agent.handle("c", "Where is my order KF10000002 now?")
    assert time.monotonic() - started < 10
    bot = [e for e in again.events if isinstance(e, BotUttered)][-1]
    assert bot.source == "template" and bot.fallback == "llm_error" and "in transit" in again.reply.text
