"""The real OpenAI-compatible server dies mid-stream (SIGKILL on the model's first token): the customer still
gets the template reply within the turn's time budget, the `bot_uttered` event says why, and the event log
is complete and gap-free. The next turn, with the server gone, is answered by the template at once."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import pytest

from agent.events import BotUttered
from agent.protocols import LLM, ChatMessage, LLMResponse
from tests.agent.llm.llama_server import llama_server, real_pipeline

pytestmark = pytest.mark.integration


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


async def test_server_killed_mid_stream_gives_the_template_in_time_and_loses_no_event(tmp_path) -> None:
    with llama_server(tmp_path) as (proc, base_url):
        tokens: list[str] = []
        killed_at: list[float] = []

        def kill_on_first_token(delta: str) -> None:
            if not killed_at:
                os.kill(proc.pid, signal.SIGKILL)
                killed_at.append(time.monotonic())

        agent = real_pipeline(
            base_url,
            tokens,
            propose_when="off",
            timeout_s=TURN_TIMEOUT_S,
            stall_s=STALL_S,
        )
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
