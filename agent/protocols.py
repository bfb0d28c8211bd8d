"""The small protocols the agent needs; other folders implement them (ports and adapters).

`agent/` never imports an implementation: the server wires concrete tools, retrievers, stores and
LLM backends in. Keep these narrow so implementations test without a server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from pydantic import BaseModel

from agent.events import Event

Language = Literal["zh", "en"]


@dataclass(frozen=True, slots=True)
class ToolContext:
    """Who a tool acts for. Tools must never reach data outside `customer_id`."""

    conversation_id: str
    customer_id: str | None
    language: Language
    now: datetime


@dataclass(slots=True)
class ToolResult:
    """What a tool hands back: plain data for NLG/LLM plus cards for the widget."""

    data: dict[str, Any]
    cards: list[dict[str, Any]] = field(default_factory=list)


class ToolError(Exception):
    """A failure fit to show the customer and the LLM.

    `code` selects a zh/en template (prompts/replies); `params` fill it; `message` is English text
    for logs and the LLM.
    """

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params


@runtime_checkable
class Tool(Protocol):
    """A typed business capability. `Args` is a pydantic model; its JSON schema is what an LLM sees."""

    name: ClassVar[str]
    description: ClassVar[str]
    Args: ClassVar[type[BaseModel]]

    async def __call__(self, args: BaseModel, ctx: ToolContext) -> ToolResult: ...


@dataclass(frozen=True, slots=True)
class Passage:
    """One retrieved chunk of a policy document, with what a citation needs."""

    doc: str  # document id, e.g. "returns"
    title: str  # document title in the passage's language
    language: Language
    text: str
    score: float
    section: str = ""


@runtime_checkable
class Retriever(Protocol):
    """Search over the store's policy documents. Synchronous and CPU-bound: call it off the loop."""

    def search(self, query: str, *, k: int = 3, language: Language | None = None) -> list[Passage]: ...


@runtime_checkable
class EventStore(Protocol):
    """Append-only, per-conversation event log. `append` assigns gap-free sequence numbers."""

    async def append(self, conversation_id: str, events: Sequence[Event]) -> list[Event]: ...

    async def load(self, conversation_id: str, after: int = 0) -> list[Event]: ...


@runtime_checkable
class TurnLock(Protocol):
    """Serialises the turns of one conversation across processes (the agent's asyncio lock covers one process).

    `hold` waits for the conversation's lock and holds it for the `async with` block; the agent tops its cached
    state up from the log once inside, so it sees what another worker wrote meanwhile.
    """

    def hold(self, conversation_id: str) -> AbstractAsyncContextManager[object]: ...


class InProcessTurnLock:
    """The default for one process: nothing to add to the agent's own per-conversation asyncio lock."""

    def hold(self, conversation_id: str) -> AbstractAsyncContextManager[object]:
        return nullcontext()


@dataclass(frozen=True, slots=True)
class ToolCallProposal:
    """A tool call an LLM proposes; the pipeline validates `arguments` against the tool's `Args`."""

    name: str
    arguments: dict[str, Any]
    id: str | None = None


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One chat message. `tool_calls` (assistant) and `tool_call_id` (tool) carry tool-calling turns."""

    role: Literal["system", "user", "assistant", "tool"]
    content: str
    tool_calls: tuple[ToolCallProposal, ...] = ()
    tool_call_id: str | None = None


@dataclass(frozen=True, slots=True)
class LLMResponse:
    """A whole (non-streamed) completion: text and any proposed tool calls (text may then be empty)."""

    text: str
    tool_calls: list[ToolCallProposal] = field(default_factory=list)


LLMFailure = Literal["disabled", "busy", "timeout", "first_token_timeout", "stall", "error"]


class LLMUnavailable(Exception):
    """The LLM gave no usable answer in time; the pipeline answers with a template instead.

    `reason` says why (kept for logs and metrics); `detail` is English text for logs only.
    """

    def __init__(self, reason: LLMFailure, detail: str = "") -> None:
        super().__init__(f"LLM unavailable ({reason}){': ' + detail if detail else ''}")
        self.reason: LLMFailure = reason
        self.detail = detail


@runtime_checkable
class LLM(Protocol):
    """One protocol for every backend (OpenAI-compatible/vLLM, local llama.cpp, none).

    `tools` are OpenAI-style function schemas (`{"type": "function", "function": {"name",
    "description", "parameters"}}`; see `agent.llm.tool_schema`). `tool_choice` is None (the model
    decides, "auto") or the name of one of `tools`, which the model must then call: it only fills the
    arguments (constrained decoding where the backend has it). Backends raise `LLMUnavailable`
    or any exception on failure; `agent.llm.GuardedLLM` turns every failure into `LLMUnavailable`.
    """

    name: str

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> AsyncIterator[str]: ...

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        tools: Sequence[Mapping[str, Any]] | None = None,
        max_tokens: int = 256,
        tool_choice: str | None = None,
    ) -> LLMResponse: ...


@runtime_checkable
class SentimentJudge(Protocol):
    """A slower, stronger second opinion on sentiment, asked only about text the fast models are unsure of.

    `judge_id` names the model and prompt: a trained stage reads only the judge it was trained with.
    `logit` is log P(positive) - log P(negative), or None when the judge is busy past its wait or fails
    (the caller keeps its own estimate). Blocking; called from the perception thread.
    """

    judge_id: str

    def logit(self, text: str) -> float | None: ...
