"""The small protocols the agent needs; other folders implement them (ports and adapters).

`agent/` never imports an implementation: the server wires concrete tools, retrievers, stores and
LLM backends in. Keep these narrow so implementations test without a server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
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


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Literal["system", "user", "assistant", "tool"]
    content: str


@runtime_checkable
class LLM(Protocol):
    """One protocol for every backend (OpenAI-compatible/vLLM, local llama.cpp, none)."""

    name: str

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> AsyncIterator[str]: ...
