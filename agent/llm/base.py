"""What every LLM backend shares: the `LLM` protocol's call signature, written once.

A backend subclasses `LLMBackend` and implements `stream` and `_complete(messages, ask)`, where `ask` is the
`Completion` (tools offered, token budget, the tool the model must call) the caller asked for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agent.protocols import ChatMessage, LLMResponse


@dataclass(frozen=True, slots=True)
class Completion:
    """One non-streamed request: OpenAI-style tool schemas offered, the token budget, and the name of the
    tool the model must call (None: the model decides)."""

    tools: Sequence[Mapping[str, Any]] | None = None
    max_tokens: int = 256
    tool_choice: str | None = None


class LLMBackend:
    """Base of the backends: `complete(...)` as the `LLM` protocol states it, handed to `_complete`."""

    name: str = "llm"

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> AsyncIterator[str]:
        raise NotImplementedError

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[Mapping[str, Any]] | None = None,
        max_tokens: int = 256,
        tool_choice: str | None = None,
    ) -> LLMResponse:
        return await self._complete(messages, Completion(tools, max_tokens, tool_choice))

    async def _complete(self, messages: Sequence[ChatMessage], ask: Completion) -> LLMResponse:
        raise NotImplementedError


def continues(llm: object) -> bool:
    """Does `llm.stream` write on from a closing assistant message (the local model), rather than answer anew?"""
    return bool(getattr(llm, "continues_replies", False))
