"""The turn pipeline: perceive → track → decide → act → respond → emit.

`Agent` is the one entry point channels use. It owns no storage: state is the replay of the
event log (`EventStore`), cached per conversation and topped up with any events appended since
(so a second worker's writes are seen). Turns of one conversation run one at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import ValidationError

from agent.affect import Affect, TextAffect
from agent.errors import InvalidMessage, UnknownConversation
from agent.events import (
    AffectObserved,
    BotUttered,
    ConversationStarted,
    Event,
    HandoffRequested,
    IntentRecognized,
    SlotRequested,
    SlotSet,
    ToolCalled,
    ToolProposalRefused,
    ToolReturned,
    UserUttered,
    replay,
)
from agent.language import detect_language
from agent.nlg.llm_wording import STEER_TEMPLATE, LLMResponder
from agent.nlg.templates import Reply, TemplateNLG
from agent.nlu import NLUReader, NLUResult
from agent.policy import Decision, decide, effective_intent
from agent.proposals import Refused, ToolProposer, mentioned_orders
from agent.protocols import (
    EventStore,
    InProcessTurnLock,
    Passage,
    Retriever,
    Tool,
    ToolCallProposal,
    ToolContext,
    ToolError,
    ToolResult,
    TurnLock,
)
from agent.state import DialogueState

log = logging.getLogger(__name__)

SOCIAL_INTENTS = ("greeting", "thanks", "goodbye", "affirm", "deny", "human", "complaint")
UNSURE_BELOW = 0.6  # NLU confidence under which the LLM is asked which tool fits
PROPOSAL_RETRIES = 1  # rounds after a refusal: the model reads why and may propose once more
TOOL_INTENTS = {"order_status": "order_status", "product_search": "product_search", "request_return": "return_request"}
EventSink = Callable[[str, list[Event], DialogueState], Awaitable[None]]
TokenSink = Callable[[str], Awaitable[None]]  # one turn's reply, delta by delta, as it is generated


@dataclass(frozen=True, slots=True)
class SpeechCues:
    """What a voice channel heard besides the words: the speech-emotion model's reading of the utterance."""

    emotion: str | None = None  # one of agent.affect.LABELS
    valence: float | None = None  # [-1, 1]
    confidence: float = 0.0  # [0, 1]
    duration_s: float | None = None


@dataclass(frozen=True, slots=True)
class TurnInput:
    """One customer utterance as a channel hands it over: the text (typed, or the ASR transcript), the
    client's message id (a retried send is answered once), and speech cues when it was spoken."""

    text: str
    client_msg_id: str | None = None
    speech: SpeechCues | None = None


@dataclass(slots=True)
class TurnResult:
    reply: Reply
    state: DialogueState
    events: list[Event] = field(default_factory=list)
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class Perception:
    language: str
    affect: Affect
    nlu: NLUResult


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Agent:
    """Runs turns for every conversation of one process."""

    def __init__(
        self,
        *,
        store: EventStore,
        nlu: NLUReader,
        affect: TextAffect,
        retriever: Retriever | None = None,
        tools: Sequence[Tool] = (),
        nlg: TemplateNLG | None = None,
        clock: Callable[[], datetime] = _utcnow,
        on_events: EventSink | None = None,
        responder: LLMResponder | None = None,
        proposer: ToolProposer | None = None,
        propose_when: str = "unsure",
        max_text_chars: int = 2000,
        cache_size: int = 4096,
        turn_lock: TurnLock | None = None,
    ) -> None:
        self.store = store
        self.nlu = nlu
        self.affect = affect
        self.retriever = retriever
        self.tools = {t.name: t for t in tools}
        self.nlg = nlg or TemplateNLG()
        self.clock = clock
        self.on_events = on_events
        self.responder = responder
        self.proposer = proposer
        self.propose_when = propose_when  # unsure: when the rules could not act | always | off
        self.max_text_chars = max_text_chars
        self._cache: OrderedDict[str, DialogueState] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}
        self._cache_size = cache_size
        self.turn_lock = turn_lock or InProcessTurnLock()  # across workers: the server wires one in

    # ----------------------------------------------------------------- state

    def _lock(self, conversation_id: str) -> asyncio.Lock:
        lock = self._locks.get(conversation_id)
        if lock is None:
            if len(self._locks) > self._cache_size:
                for cid in [c for c, lk in self._locks.items() if not lk.locked()][: self._cache_size // 2]:
                    del self._locks[cid]
            lock = self._locks[conversation_id] = asyncio.Lock()
        return lock

    async def _load(self, conversation_id: str) -> DialogueState:
        state = self._cache.get(conversation_id)
        after = state.last_seq if state else 0
        events = await self.store.load(conversation_id, after=after)
        if state is None:
            if not events:
                raise UnknownConversation(conversation_id)
            state = DialogueState(conversation_id=conversation_id)
        replay(events, state)
        self._cache[conversation_id] = state
        self._cache.move_to_end(conversation_id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return state

    async def state(self, conversation_id: str) -> DialogueState:
        async with self._lock(conversation_id):
            return await self._load(conversation_id)

    async def rebuild(self, conversation_id: str) -> DialogueState:
        """State from the full event log, bypassing the cache (what a fresh worker would see)."""
        events = await self.store.load(conversation_id)
        if not events:
            raise UnknownConversation(conversation_id)
        return replay(events, DialogueState(conversation_id=conversation_id))

    async def _emit(self, conversation_id: str, state: DialogueState, events: list[Event]) -> list[Event]:
        """Persist events (the store assigns seq), apply them, then publish."""
        if not events:
            return []
        try:
            stored = await self.store.append(conversation_id, events)
        except Exception:
            self._cache.pop(conversation_id, None)  # the cached state may be ahead of the log
            raise
        replay(stored, state)
        if self.on_events is not None:
            await self.on_events(conversation_id, stored, state)
        return stored

    # ------------------------------------------------------------- lifecycle

    async def start(
        self, conversation_id: str, *, channel: str, customer_id: str | None, language: str | None
    ) -> list[Event]:
        state = DialogueState(conversation_id=conversation_id)
        async with self._lock(conversation_id):
            stored = await self._emit(
                conversation_id,
                state,
                [
                    ConversationStarted(
                        conversation_id=conversation_id, channel=channel, customer_id=customer_id, language=language
                    )
                ],
            )
            self._cache[conversation_id] = state
        return stored

    async def record(self, conversation_id: str, events: Sequence[Event]) -> list[Event]:
        """Append events that come from outside the pipeline (operator actions, CSAT)."""
        async with self._lock(conversation_id), self.turn_lock.hold(conversation_id):
            state = await self._load(conversation_id)
            return await self._emit(conversation_id, state, list(events))

    # ------------------------------------------------------------------ turn

    def perceive(self, text: str, previous_language: str) -> Perception:
        language = detect_language(text, previous=previous_language)
        return Perception(language, self.affect.analyze(text, language), self.nlu.parse(text))

    async def handle(
        self, conversation_id: str, turn: TurnInput | str, *, on_token: TokenSink | None = None
    ) -> TurnResult:
        """Run one customer turn. `on_token` receives this turn's reply as it is worded (LLM streaming)."""
        if isinstance(turn, str):
            turn = TurnInput(turn)
        text, client_msg_id = turn.text.strip(), turn.client_msg_id
        if not text:
            raise InvalidMessage("empty message")
        if len(text) > self.max_text_chars:
            raise InvalidMessage(f"message longer than {self.max_text_chars} characters")
        async with self._lock(conversation_id), self.turn_lock.hold(conversation_id):
            state = await self._load(conversation_id)
            if client_msg_id and client_msg_id in state.client_msg_ids:
                return TurnResult(Reply(text="", source=None), state, duplicate=True)
            p = await asyncio.to_thread(self.perceive, text, state.language)
            cid = conversation_id
            language = state.language if state.language_fixed else p.language
            pending = state.requested
            intent = effective_intent(state, p.nlu, text)
            user_events: list[Event] = [
                UserUttered(conversation_id=cid, text=text, language=p.language, client_msg_id=client_msg_id),
                AffectObserved(
                    conversation_id=cid, label=p.affect.label, score=p.affect.score, intensity=p.affect.intensity
                ),
                IntentRecognized(
                    conversation_id=cid,
                    intent=intent,
                    confidence=p.nlu.confidence,
                    others=p.nlu.others,
                    fine_intent=p.nlu.fine_intent,
                ),
            ]
            for name, value in p.nlu.slots.items():
                if state.slot(name) != value:
                    user_events.append(SlotSet(conversation_id=cid, name=name, value=value))
            events = await self._emit(cid, state, user_events)
            decision = decide(state, p.nlu, text, intent, pending)
            if self._should_propose(decision, p.nlu.confidence):
                decision, proposal_events = await self._llm_proposal(state, decision, language, text)
                events += await self._emit(cid, state, proposal_events)
            if decision.kind == "silent":
                return TurnResult(Reply(text="", source=None), state, events)
            reply, bot_events = await self._act_and_respond(state, decision, language, text, on_token)
            events += await self._emit(cid, state, bot_events)
            return TurnResult(reply, state, events)

    def _should_propose(self, decision: Decision, confidence: float) -> bool:
        """Ask the LLM for a tool when the rules could not act (unsure), or on every task turn (always)."""
        if self.proposer is None or self.propose_when == "off" or decision.kind in ("silent", "handoff"):
            return False
        if decision.intent in SOCIAL_INTENTS:
            return False
        if self.propose_when == "always":
            return True
        return decision.intent == "other" or bool(decision.ask_slot) or confidence < UNSURE_BELOW

    async def _llm_proposal(
        self, state: DialogueState, decision: Decision, language: str, text: str
    ) -> tuple[Decision, list[Event]]:
        """Ask the LLM for a tool call; run the first proposal the state and policy accept, else keep the
        rule-based decision. Refusals are recorded, never run, and explained back to the model, which gets
        `PROPOSAL_RETRIES` more rounds.

        When the rules already chose a tool with the arguments at hand (not asking for a slot), that tool
        is forced: the model fills its arguments from the customer's words instead of deciding whether to
        call at all."""
        assert self.proposer is not None
        cid = state.conversation_id
        ctx = ToolContext(conversation_id=cid, customer_id=state.customer_id, language=language, now=self.clock())
        mentioned = mentioned_orders([text]) | ({str(state.slot("order_id"))} if state.slot("order_id") else set())
        force = decision.tool if decision.kind == "call_tool" and not decision.ask_slot else None
        refusals: list[Event] = []
        proposals = await self.proposer.propose(language, text, force=force)
        for attempt in range(PROPOSAL_RETRIES + 1):
            refused: list[tuple[ToolCallProposal, Refused]] = []
            for proposal in proposals:
                verdict = await self.proposer.validate(proposal, state, ctx, mentioned, decision.intent)
                if isinstance(verdict, Refused):
                    refusals.append(
                        ToolProposalRefused(
                            conversation_id=cid,
                            tool=verdict.name,
                            arguments=dict(verdict.arguments),
                            reason=verdict.reason,
                        )
                    )
                    refused.append((proposal, verdict))
                    continue
                intent = TOOL_INTENTS.get(verdict.tool.name, decision.intent)
                return (
                    Decision(
                        "call_tool",
                        intent,
                        tool=verdict.tool.name,
                        args=verdict.args.model_dump(exclude_none=True),
                        empathy=decision.empathy,
                        proposed_by="llm",
                    ),
                    refusals,
                )
            if not refused or attempt == PROPOSAL_RETRIES:
                break
            proposals = await self.proposer.propose(language, text, feedback=refused)
        return decision, refusals

    async def _act_and_respond(
        self, state: DialogueState, decision: Decision, language: str, text: str, on_token: TokenSink | None
    ) -> tuple[Reply, list[Event]]:
        cid = state.conversation_id
        out: list[Event] = []
        result: ToolResult | None = None
        error: ToolError | None = None
        passages: list[Passage] = []
        if decision.kind == "call_tool" and decision.tool:
            result, error = await self._call_tool(
                state, decision.tool, decision.args, language, out, decision.proposed_by
            )
        elif decision.kind == "answer_kb" and decision.query and self.retriever is not None:
            passages = await asyncio.to_thread(self.retriever.search, decision.query, k=3, language=language)
        reply = self.nlg.compose(decision, language, result=result, error=error, passages=passages)
        fallback: str | None = None
        if self.responder is not None and self.responder.applies(decision):
            outcome = await self.responder.reply(
                language=language,
                text=text,
                template=reply,
                result=result,
                error_message=error.message if error else None,
                passages=passages,
                empathy=decision.empathy,
                on_token=on_token,
                steer=decision.template == STEER_TEMPLATE,
            )
            reply, fallback = outcome.reply, outcome.fallback
        if decision.kind == "handoff":
            out.append(HandoffRequested(conversation_id=cid, reason=decision.handoff_reason or "customer_asked"))
        out.append(
            BotUttered(
                conversation_id=cid,
                text=reply.text,
                source=reply.source,
                citations=reply.citations,
                cards=reply.cards,
                quick_replies=reply.quick_replies,
                offer_human=reply.offer_human,
                fallback=fallback,
            )
        )
        if decision.ask_slot and error is None:
            out.append(SlotRequested(conversation_id=cid, intent=decision.intent, slot=decision.ask_slot))
        return reply, out

    async def _call_tool(
        self,
        state: DialogueState,
        name: str,
        raw_args: dict,
        language: str,
        out: list[Event],
        proposed_by: str = "policy",
    ) -> tuple[ToolResult | None, ToolError | None]:
        cid = state.conversation_id
        tool = self.tools.get(name)
        if tool is None:
            return None, ToolError("tool_unavailable", f"Tool {name} is not configured.")
        ctx = ToolContext(conversation_id=cid, customer_id=state.customer_id, language=language, now=self.clock())
        out.append(ToolCalled(conversation_id=cid, tool=name, args=dict(raw_args), proposed_by=proposed_by))
        try:
            args = tool.Args.model_validate(raw_args)
            result = await tool(args, ctx)
        except ValidationError as exc:
            err = ToolError("invalid_arguments", f"Invalid arguments for {name}: {exc.error_count()} error(s)")
            out.append(ToolReturned(conversation_id=cid, tool=name, ok=False, error_code=err.code))
            return None, err
        except ToolError as err:
            out.append(
                ToolReturned(
                    conversation_id=cid, tool=name, ok=False, error_code=err.code, data={"message": err.message}
                )
            )
            return None, err
        out.append(ToolReturned(conversation_id=cid, tool=name, ok=True, data=result.data))
        return result, None
