"""The small protocols and value types the agent needs; other folders implement them (ports and adapters).

The core (`agent/*.py`) never imports an implementation: `agent.nlu`, `agent.affect`, `agent.nlg`, the tools,
retrievers, stores and LLM backends are wired in by the server. Keep these narrow so implementations test
without a server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from pydantic import BaseModel

from agent.events import Event

Language = Literal["zh", "en"]


@dataclass(frozen=True, slots=True)
class NLUResult:
    """`intent` is agent-level (what the policy acts on), `others` further agent-level intents in the same
    message. `fine_intent` is the classifier's label (see `agent.nlu.taxonomy`); when `intent` is `other` but
    `fine_intent` is not, that label was the best guess yet too unsure to act on: clarify."""

    intent: str
    confidence: float
    others: list[str] = field(default_factory=list)
    slots: dict[str, object] = field(default_factory=dict)
    fine_intent: str | None = None


@runtime_checkable
class NLUReader(Protocol):
    """What the pipeline needs from an NLU (`agent.nlu.NLU`)."""

    def parse(self, text: str) -> NLUResult: ...


AFFECT_LABELS = ("anger", "anxiety", "disappointment", "neutral", "satisfaction")


@dataclass(frozen=True, slots=True)
class Affect:
    """How one utterance sounds: an emotion label (see `agent.affect.LABELS`), valence in [-1, 1], intensity
    in [0, 1]."""

    label: str
    score: float
    intensity: float


@runtime_checkable
class AffectReader(Protocol):
    """What the pipeline needs from affect (`agent.affect.TextAffect`): the text's affect, and the text's affect
    fused with what a voice channel heard (`speech` is a `pipeline.SpeechCues`)."""

    def analyze(self, text: str, language: str) -> Affect: ...

    def fuse(self, text: Affect, speech: Any) -> Affect: ...


@dataclass(slots=True)
class Reply:
    """What the customer is shown for one turn."""

    text: str
    source: str | None = "template"  # template | llm | operator | None (nothing said)
    citations: list[dict[str, Any]] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)
    quick_replies: list[str] = field(default_factory=list)
    offer_human: bool = False

    def public(self) -> dict[str, Any]:
        """The `reply` object of the public API."""
        return {k: getattr(self, k) for k in ("text", "source", "citations", "cards", "quick_replies")}

    def recorded(self) -> dict[str, Any]:
        """The fields `BotUttered` records."""
        return {**self.public(), "offer_human": self.offer_human}


@runtime_checkable
class Phrasebook(Protocol):
    """How a tool words its outcome without knowing where templates live: `agent.nlg.TemplateNLG` implements it,
    looking a key up in the tool's own `templates` first, then in `prompts/replies`."""

    def render(self, key: str, language: str, **params: Any) -> str: ...

    def term(self, key: str, language: str) -> Any: ...  # a raw template value, e.g. `status.shipped`

    def has(self, key: str, language: str) -> bool: ...

    def date(self, iso: str | None, language: str, *, with_time: bool = True) -> str: ...  # store's time zone

    def items(self, names: Sequence[str], language: str) -> str: ...  # "first item and 2 more"

    def name(self, bilingual: str, language: str) -> str: ...  # "顺丰速运 SF Express" -> one half


@dataclass(frozen=True, slots=True)
class ToolContext:
    """Who a tool acts for. Tools must never reach data outside `customer_id`."""

    conversation_id: str
    customer_id: str | None
    language: Language
    now: datetime
    # the idempotency key of a call with side effects: the same when a retried turn completes the recorded call, so
    # the tool files or issues at most once under it
    key: str | None = None
    # the conversation's cart as the turn began (`DialogueState.cart`); None: not known to the caller, read it from
    # the log
    cart: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Need:
    """A need of the customer's that was just met (an order question answered, a product chosen), which a
    follow-up tool may build on: a cross-sell offers what goes with it (see `agent.followups`).

    `key` names the need within the conversation (`order:KF10000001`, `product:P0001`, `policy:returns`), so it is
    followed up at most once; `source` is what met it, the tool's name, the event's type or `policy_question` (an
    answer from the policy documents) — what `Tool.follows` lists; `products` are the product ids that met it;
    `topic` what a documents answer was about (the document it cites first, e.g. `returns`)."""

    key: str
    source: str
    products: tuple[str, ...] = ()
    topic: str | None = None


@dataclass(slots=True)
class ToolResult:
    """What a tool hands back: the facts for the reply (templates and the LLM's grounding), cards for the
    widget, the events the call causes (e.g. `RecommendationShown`), which the pipeline records, the policy
    documents the answer cites (`{"doc", "title", "snippet"}`, as answers from retrieval cite them), and the need
    it met, if it met one (`met`: the tools that follow it may add to the reply)."""

    data: dict[str, Any]
    cards: list[dict[str, Any]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)  # policy documents the answer rests on
    met: Need | None = None


@dataclass(slots=True)
class ToolReply:
    """A tool's outcome in words, and the quick replies that go with it."""

    text: str
    quick_replies: list[str] = field(default_factory=list)


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


@dataclass(frozen=True, slots=True)
class Claim:
    """A kind of statement an LLM reply may not make unless this turn's outcome licenses it ("your refund is
    approved", "I'll add compensation"). `patterns` are regexes per language (`{"zh": [...], "en": [...]}`);
    `licensed_by` names what makes it true: `event:<type>` (an event the turn's tool recorded),
    `status:<value>` (a `status` in the tool's data) or `tool:<name>` (that tool ran and succeeded). A
    `promise` (a commitment to act) said in a conditional sentence or a question is policy talk, not a claim.
    Tools declare their own (`Tool.claims`); `agent.nlg.claims` holds the store-wide table."""

    name: str
    patterns: dict[str, tuple[str, ...]]
    licensed_by: tuple[str, ...] = ()
    promise: bool = False


@runtime_checkable
class Tool(Protocol):
    """A typed business capability that declares everything about itself (see `agent.tooling.BaseTool`).

    `Args` is a pydantic model; its JSON schema is what an LLM sees. `intents` are the agent-level intents it
    serves (the policy routes them to `plan`); `side_effects` tools run on an LLM's proposal only when the
    customer's own words asked for them; `authorize` refuses (raises `ToolError`) before anything runs.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    Args: ClassVar[type[BaseModel]]
    intents: ClassVar[tuple[str, ...]]
    side_effects: ClassVar[bool]

    async def authorize(self, args: BaseModel, ctx: ToolContext) -> None: ...

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
    # how closely the best passage in the query's language matches it (the retriever's own measure, e.g. cosine),
    # and whether that clears the retriever's calibrated floor: below it, nothing found answers the question
    evidence: float | None = None
    sufficient: bool = True


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


# circuit_open: the backend failed several calls in a row and is not called for a while (`agent.breaker`)
LLMFailure = Literal["disabled", "busy", "timeout", "first_token_timeout", "stall", "error", "circuit_open"]


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

    `stream(messages, *, max_tokens=256)` yields the reply's text deltas. `complete(messages, *, tools=None,
    max_tokens=256, tool_choice=None) -> LLMResponse` is one whole reply or tool-call proposal; its signature
    is written once, in `agent.llm.base.LLMBackend`, which the backends subclass. `tools` are OpenAI-style
    function schemas (`{"type": "function", "function": {"name", "description", "parameters"}}`; see
    `agent.tooling.tool_schema`). `tool_choice` is None (the model decides, "auto") or the name of one of
    `tools`, which the model must then call: it only fills the arguments (constrained decoding where the
    backend has it). Backends raise `LLMUnavailable` or any exception on failure; `agent.llm.GuardedLLM`
    turns every failure into `LLMUnavailable`.
    """

    name: str

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> AsyncIterator[str]: ...

    complete: Callable[..., Awaitable[LLMResponse]]


@dataclass(slots=True)
class Acted:
    """What acting on a decision produced, for the reply: the customer's words and language, the tool that ran
    (if any) with its result or error, and the passages retrieved."""

    language: str
    text: str
    tool: Tool | None = None
    result: ToolResult | None = None
    error: ToolError | None = None
    passages: list[Passage] = field(default_factory=list)


@runtime_checkable
class Composer(Protocol):
    """Words a decision and its outcome from templates (`agent.nlg.TemplateNLG`); the registered tools'
    own templates are added once (`add_tools`). `decision` is an `agent.policy.Decision`. `compose_follow_up`
    words a follow-up tool's result (`Tool.follow_reply`) as a reply of its own (see `agent.followups`)."""

    def add_tools(self, tools: Iterable[Tool]) -> None: ...

    def compose(self, decision: Any, acted: Acted) -> Reply: ...

    def compose_follow_up(self, tool: Tool, result: ToolResult, language: str) -> Reply: ...


@dataclass(frozen=True, slots=True)
class WordedReply:
    """An LLM's wording of a reply, or the template with the reason it stood (`fallback`)."""

    reply: Reply
    fallback: str | None  # why the template answered instead (None: the LLM's reply was used)


@runtime_checkable
class Responder(Protocol):
    """Words the checked outcome through an LLM, streaming to `on_token` only what has passed the check
    (`agent.nlg.LLMResponder`); the template reply stays the fallback. The registered tools are added once
    (`add_tools`: their own `claims`)."""

    def add_tools(self, tools: Iterable[Tool]) -> None: ...

    def applies(self, decision: Any) -> bool: ...

    async def reply(
        self, decision: Any, acted: Acted, template: Reply, on_token: Callable[[str], Awaitable[None]] | None
    ) -> WordedReply: ...


@runtime_checkable
class SentimentJudge(Protocol):
    """A slower, stronger second opinion on sentiment, asked only about text the fast models are unsure of.

    `judge_id` names the model and prompt: a trained stage reads only the judge it was trained with.
    `logit` is log P(positive) - log P(negative), or None when the judge is busy past its wait or fails
    (the caller keeps its own estimate). Blocking; called from the perception thread.
    """

    judge_id: str

    def logit(self, text: str) -> float | None: ...
