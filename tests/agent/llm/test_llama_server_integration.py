"""The bundled model behind `python -m llama_cpp.server` (what vLLM is in production), through our backend.

Skips when llama_cpp or the assembled model is missing (run `make llm`), except under CI, where it
fails: CI must exercise the real model.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

import pytest

from agent.llm import GuardedLLM, LocalLlamaLLM, OpenAICompatibleLLM, build_turn, tool_schema
from agent.protocols import ChatMessage
from tools.orders import OrderStatusTool

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
MODEL = Path(os.environ.get("KEFU_LLM_MODEL_PATH", "var/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"))
MODEL = MODEL if MODEL.is_absolute() else ROOT / MODEL
FACTS = {"order_id": "KF10000002", "status": "shipped", "items_zh": ["蓝牙耳机"], "items_en": ["Bluetooth earphones"],
         "shipment": {"carrier": "顺丰速运 SF Express", "tracking_no": "SF1234567890", "status": "in_transit"}}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the local LLM: `make llm`)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _require_model() -> None:
    if find_spec("llama_cpp") is None:
        _unavailable("llama_cpp is not installed (`make llm` builds it)")
    if not MODEL.is_file():
        _unavailable(f"no model at {MODEL} (`make llm` assembles it)")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_model()
    port = _free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(MODEL), "--host", "127.0.0.1", "--port", str(port),
           "--n_threads", "2", "--n_ctx", "4096", "--chat_format", "chatml-function-calling"]
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    log = tmp_path_factory.mktemp("llama-server") / "server.log"  # ~200 kB of load logs would fill a pipe
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"llama_cpp.server exited {proc.returncode}: {log.read_text()[-2000:]}")
                if time.monotonic() > deadline:
                    pytest.fail("llama_cpp.server did not answer within 120 s")
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def llm(base_url: str) -> GuardedLLM:
    return GuardedLLM(OpenAICompatibleLLM(base_url, "qwen2.5-coder-1.5b-instruct", timeout=90),
                      timeout_s=90, first_token_timeout_s=60, stall_timeout_s=20)


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


@pytest.mark.parametrize("question", ["Where is my order KF10000002?", "我的订单KF10000002到哪了？"])
async def test_order_question_gives_an_order_status_tool_call(llm: GuardedLLM, question: str) -> None:
    messages = [ChatMessage("system", "You are the store's customer-service assistant. Use the tools to look up "
                                      "orders."),
                ChatMessage("user", question)]
    response = await llm.complete(messages, tools=[tool_schema(OrderStatusTool)], max_tokens=80)
    assert [c.name for c in response.tool_calls] == ["order_status"], response
    assert response.tool_calls[0].arguments.get("order_id") == "KF10000002"


async def test_in_process_model_answers_grounded_and_proposes_a_call() -> None:
    """The embedded default: llama_cpp.Llama in a worker thread, tool calls parsed from its text."""
    _require_model()
    llm = GuardedLLM(LocalLlamaLLM(MODEL), timeout_s=90, first_token_timeout_s=60, stall_timeout_s=20)
    try:
        turn = build_turn("zh", "我的订单KF10000002到哪了？", facts=FACTS)
        text = "".join([t async for t in llm.stream(turn.messages, max_tokens=60)])
        assert len(re.findall(r"[\u4e00-\u9fff]", text)) >= 5, text
        messages = [ChatMessage("system", "You are the store's customer-service assistant. Use the tools to look "
                                          "up orders."),
                    ChatMessage("user", "Where is my order KF10000002?")]
        response = await llm.complete(messages, tools=[tool_schema(OrderStatusTool)], max_tokens=120)
        assert [c.name for c in response.tool_calls] == ["order_status"], response
        assert response.tool_calls[0].arguments.get("order_id") == "KF10000002"
    finally:
        await llm.aclose()


# ------------------------------------------------------------------ the whole turn over the real model


def _pipeline(base_url: str, tokens: list[str]):
    from agent.affect import TextAffect
    from agent.llm_reply import LLMResponder
    from agent.llm_tools import ToolProposer
    from agent.nlu import NLU
    from agent.pipeline import Agent
    from tests.fakes import NOW, KeywordRetriever, MemoryCatalog, MemoryEventStore, MemoryOrders
    from tools.products import ProductSearchTool
    from tools.returns import ReturnRequestTool

    llm = GuardedLLM(OpenAICompatibleLLM(base_url, "local", timeout=240), timeout_s=240, first_token_timeout_s=180,
                     stall_timeout_s=60)
    orders = MemoryOrders()
    tools = [OrderStatusTool(orders), ReturnRequestTool(orders), ProductSearchTool(MemoryCatalog())]

    async def on_token(cid: str, delta: str) -> None:
        tokens.append(delta)

    return Agent(store=MemoryEventStore(), nlu=NLU(), affect=TextAffect(), retriever=KeywordRetriever(), tools=tools,
                 clock=lambda: NOW, responder=LLMResponder(llm), proposer=ToolProposer(llm, {t.name: t for t in tools}),
                 propose_when="always", on_token=on_token)


@pytest.mark.parametrize(("text", "status"), [("我的订单KF10000002到哪了？", "运输中"),
                                              ("Where is my order KF10000002?", "in transit")])
async def test_turn_runs_the_models_tool_call_and_states_the_real_status(base_url: str, text: str,
                                                                          status: str) -> None:
    from agent.events import BotUttered, ToolCalled

    tokens: list[str] = []
    agent = _pipeline(base_url, tokens)
    await agent.start("c", channel="web", customer_id="C1", language=None)
    result = await agent.handle("c", text)
    calls = [e for e in result.events if isinstance(e, ToolCalled)]
    # The model proposes the call most of the time; when it answers in prose instead, the rule-based path
    # runs the same lookup (measured: 3 of 4 proposals here). Either way exactly one lookup, of this order.
    assert [(c.tool, c.args.get("order_id")) for c in calls] == [("order_status", "KF10000002")]
    assert calls[0].proposed_by in ("llm", "policy")
    bot = [e for e in result.events if isinstance(e, BotUttered)][-1]
    assert status in result.reply.text  # whichever path worded it, the real status is stated
    if bot.source == "llm":
        assert "".join(tokens).strip() == result.reply.text
    else:  # the guard or a budget replaced the model's wording; the reason is on record
        assert bot.fallback
