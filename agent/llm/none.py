"""The "no LLM" backend: templates only, with the same interface as the real ones."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from agent.llm.base import Completion, LLMBackend
from agent.protocols import ChatMessage, LLMResponse, LLMUnavailable


class NoLLM(LLMBackend):
    """Every call raises `LLMUnavailable("disabled")`, so callers take their template path."""

    name = "none"

    async def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> AsyncIterator[str]:
        raise LLMUnavailable("disabled", "no LLM configured (KEFU_LLM=none)")
        yield ""  # pragma: no cover - makes this an async generator

    async def _complete(self, messages: Sequence[ChatMessage], ask: Completion) -> LLMResponse:
        raise LLMUnavailable("disabled", "no LLM configured (KEFU_LLM=none)")
