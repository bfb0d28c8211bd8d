"""A scripted LLM (in the manner of simonw/llm's `MockModel` and livekit's fake LLM): exact, instant, recorded.

For the real HTTP path of the OpenAI-compatible backend, use `tests.fakes.openai_server` instead.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Sequence

from pydantic import BaseModel, Field

from agent.protocols import ChatMessage, LLMFailure, LLMResponse, LLMUnavailable, ToolCallProposal


class ScriptedLLM:
    """Streams `reply` for every turn in `chunk_chars` pieces (replies queued with `push` go first), or raises
    `LLMUnavailable(fail)` when told to fail (with `continues`, the reply is what follows a closing assistant
    message, as the local model writes on from it). Each `complete` answers the next of `rounds` (tool calls, with the
    reply as text), then no calls.

    Records what it was sent: `prompts` (the messages of each `stream`) and `requests` (messages, offered tool
    names and `tool_choice` of each `complete`).
    """

    name = "scripted"

    def __init__(
        self,
        reply: str = "",
        *,
        fail: LLMFailure | None = None,
        rounds: Sequence[Sequence[ToolCallProposal]] = (),
        chunk_chars: int = 4,
        continues: bool = False,
    ) -> None:
        self.reply, self.fail, self.chunk_chars = reply, fail, chunk_chars
        self.continues_replies = continues  # like the local model: a closing assistant message is written on from
        self.queued: deque[str] = deque()
        self.rounds = [list(r) for r in rounds]
        self.prompts: list[Sequence[ChatMessage]] = []
        self.requests: list[tuple[list[ChatMessage], set[str], str | None]] = []

    def push(self, *replies: str) -> ScriptedLLM:
        self.queued.extend(replies)
        return self

    async def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> AsyncIterator[str]:
        self.prompts.append(messages)
        if self.fail:
            raise LLMUnavailable(self.fail)
        text = self.queued.popleft() if self.queued else self.reply
        for i in range(0, len(text), self.chunk_chars):
            yield text[i : i + self.chunk_chars]

    async def complete(
        self, messages: Sequence[ChatMessage], *, tools=None, max_tokens: int = 256, tool_choice: str | None = None
    ) -> LLMResponse:
        names = {t["function"]["name"] for t in tools or ()}
        self.requests.append((list(messages), names, tool_choice))
        if self.fail:
            raise LLMUnavailable(self.fail)
        return LLMResponse(self.reply, self.rounds.pop(0) if self.rounds else [])


class OrderStatusSpec:
    """The shape of a tool as `agent.llm.tool_schema` reads it (name, description, pydantic `Args`), no more."""

    name = "order_status"
    description = "Look up an order."

    class Args(BaseModel):
        order_id: str | None = Field(default=None, pattern=r"^KF\d{8}$")
