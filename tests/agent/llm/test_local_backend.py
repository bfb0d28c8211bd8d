"""The in-process llama.cpp backend's threading, with a fake `llama_cpp` (no model needed).

Checks what a customer would feel: tokens stream while the event loop stays free, one generation
runs at a time, and a caller that gives up stops the generation.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.llm import GuardedLLM, LocalLlamaLLM
from agent.llm.toolcalls import tool_schema
from agent.protocols import ChatMessage, LLMUnavailable, ToolCallProposal
from tests.fakes import OrderStatusSpec

pytestmark = pytest.mark.unit
ASK = [ChatMessage("system", "sys"), ChatMessage("user", "hi")]


class FakeLlama:
    """Streams `script` one piece every `delay` seconds, blocking like llama.cpp does."""

    script = ["你", "好", "！"]
    delay = 0.05
    instances: list[FakeLlama] = []

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.calls: list[dict[str, Any]] = []
        self.active = 0
        self.max_active = 0
        self.produced = 0
        self.threads: set[str] = set()
        FakeLlama.instances.append(self)

    def create_chat_completion(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.calls.append(kwargs)
        return self._gen()

    def _gen(self) -> Iterator[dict[str, Any]]:
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        self.threads.add(threading.current_thread().name)
        try:
            for piece in self.script:
                time.sleep(self.delay)
                self.produced += 1
                yield {"choices": [{"delta": {"content": piece}}]}
        finally:
            self.active -= 1

    def set_cache(self, cache: Any) -> None:
        self.cache = cache

    def close(self) -> None:
        pass


FAKE_LLAMA_CPP = types.SimpleNamespace(Llama=FakeLlama)


@pytest.fixture
def model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setitem(sys.modules, "llama_cpp", FAKE_LLAMA_CPP)
    monkeypatch.setattr(FakeLlama, "instances", [])
    path = tmp_path / "m.gguf"
    path.write_bytes(b"GGUF")
    return path


async def test_streams_without_blocking_the_event_loop(model: Path) -> None:
    llm = LocalLlamaLLM(model, n_ctx=2048)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    tokens = [t async for t in llm.stream(ASK, max_tokens=8)]
    task.cancel()
    assert tokens == ["你", "好", "！"]
    assert ticks >= 8  # ~150 ms of generation; the loop kept running
    fake = FakeLlama.instances[0]
    assert fake.kwargs["n_ctx"] == 2048 and fake.kwargs["n_threads"] == 2
    assert fake.cache.capacity_bytes == 512 << 20  # prompt prefixes of both languages stay cached
    assert fake.calls[0]["messages"] == [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}]
    assert fake.threads == {t for t in fake.threads if t.startswith("llama")}
    await llm.aclose()


async def test_one_generation_at_a_time(model: Path) -> None:
    llm = LocalLlamaLLM(model)

    async def one() -> list[str]:
        return [t async for t in llm.stream(ASK)]

    results = await asyncio.gather(one(), one(), one())
    assert all("".join(r) == "你好！" for r in results)
    assert FakeLlama.instances[0].max_active == 1 and len(FakeLlama.instances) == 1  # loaded once
    await llm.aclose()


async def test_giving_up_stops_the_generation(model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FakeLlama, "script", ["字"] * 100)
    llm = GuardedLLM(LocalLlamaLLM(model), timeout_s=0.3, first_token_timeout_s=None, stall_timeout_s=None)
    with pytest.raises(LLMUnavailable) as err:
        _ = [t async for t in llm.stream(ASK)]
    assert err.value.reason == "timeout"
    await asyncio.sleep(0.2)
    fake = FakeLlama.instances[0]
    assert fake.active == 0 and fake.produced < 20  # stopped soon after the caller left
    await llm.aclose()


async def test_tool_call_from_json_text_and_assistant_content_never_null(
    model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        FakeLlama, "script", ['```json\n{"name": "order_status", ', '"arguments": {"order_id": "KF10000002"}}\n```']
    )
    llm = LocalLlamaLLM(model)
    call = ToolCallProposal("order_status", {}, "c1")
    history = [*ASK, ChatMessage("assistant", "", tool_calls=(call,)), ChatMessage("tool", "{}", tool_call_id="c1")]
    response = await llm.complete(history, tools=[tool_schema(OrderStatusSpec)])  # type: ignore[arg-type]
    assert response.tool_calls == [ToolCallProposal("order_status", {"order_id": "KF10000002"})]
    sent = FakeLlama.instances[0].calls[0]
    assert sent["tools"][0]["function"]["name"] == "order_status"
    assert sent["messages"][2]["content"] == "" and sent["messages"][2]["tool_calls"][0]["id"] == "c1"
    assert sent["messages"][3] == {"role": "tool", "content": "{}", "tool_call_id": "c1"}
    await llm.aclose()


async def test_missing_model_file_is_an_error_the_guard_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", FAKE_LLAMA_CPP)
    llm = GuardedLLM(LocalLlamaLLM(tmp_path / "absent.gguf"))
    with pytest.raises(LLMUnavailable) as err:
        _ = [t async for t in llm.stream(ASK)]
    assert err.value.reason == "error" and "kefu llm install" in err.value.detail
