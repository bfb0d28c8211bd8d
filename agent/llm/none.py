"""The "no LLM" backend: templates only, with the same interface as the real ones."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from agent.protocols import ChatMessage, LLMResponse, LLMUnavailable


class NoLLM:
    """Every call raises `LLMUnavailable("disabled")`, so callers take their template path."""

    name = "none"

    async def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> AsyncIterator[str]:
        raise LLMUnavailable("disabled", "no LLM configured (KEFU_LLM=none)")
        yield ""  # pragma: no cover - makes this an async generator

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[Mapping[str, Any]] | None = None,
        max_tokens: int = 256,
        tool_choice: str | None = None,
    ) -> LLMResponse:
        raise LLMUnavailable("disabled", "no LLM configured (KEFU_LLM=none)")
