"""The turn pipeline: perceive → track → decide → act → respond → emit.

`Agent` is the one entry point channels use. It owns no storage: state is the replay of the event log
(`EventStore`), cached per conversation and topped up with any events appended since (so a second
worker's writes are seen). Turns of one conversation run one at a time. A channel hands a `TurnInput`
over (typed text, or a voice transcript with speech cues) and may pass a token sink for this turn's
streamed reply; a running turn can be interrupted (a caller barging in), which records what was said.

Every turn is answered. A turn that fails inside is answered with an apology in the customer's language, recorded
(`BotUttered`, then `TurnFailed`), and stays open: the same message sent again (its `client_msg_id`) runs again,
where a message already answered is a duplicate. A call with side effects (a return, a coupon) is recorded before
it runs (`ToolCalled` with an idempotency key); a retry of a turn that failed after that completes the recorded
call under the same key, so the tool files or issues it once and its outcome is recorded once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from agent.errors import InvalidMessage, UnknownConversation
from agent.events import (
    ActionSettled,
    AffectObserved,
    BotInterrupted,
    BotUttered,
    ConversationStarted,
    Event,
    HandoffRequested,
    IntentRecognized,
    ProductInteracted,
    SlotRequested,
    SlotSet,
    ToolCalled,
    TurnFailed,
    UserUttered,
    replay,
)
from agent.followups import FollowUp, appended, follow_up, policy_need
from agent.intents import PERSON_INTENTS, SOCIAL_INTENTS
from agent.language import detect_language
from agent.locks import KeyedLocks
from agent.offers import answered_by_interaction, declined
from agent.policy import DECLINED_TEMPLATE, NEGATIVE, Decision, Turn, decide, effective_intent, empathy_for
from agent.proposals import ToolProposer, consult, rules_resolved
from agent.protocols import (
    Acted,
    Affect,
    AffectReader,
    Composer,
    EventStore,
    InProcessTurnLock,
    Need,
    NLUReader,
    NLUResult,
    Reply,
    Responder,
    Retriever,
    Tool,
    ToolContext,
    TurnLock,
)
from agent.state import DialogueState
from agent.tooling import Toolbox, preview_tool, run_tool
from agent.turns import SpeechCues, TurnInput
from prompts.render import render

log = logging.getLogger(__name__)

__all__ = ["Agent", "InvalidMessage", "SpeechCues", "TurnInput", "TurnResult", "UnknownConversation",
           "UnrecordedTurn"]
T = TypeVar("T")

UNSURE_BELOW = 0.6  # NLU confidence under which the LLM is asked which tool fits
# Interactions that choose a product: a need met, which follow-up tools may answer (a cross-sell)
CHOSEN_KINDS = ("added_to_cart", "purchased")
NO_PROPOSAL_INTENTS = SOCIAL_INTENTS | PERSON_INTENTS  # turns about no task: the LLM is not asked for a tool
EventSink = Callable[[str, list[Event], DialogueState], Awaitable[None]]
TokenSink = Callable[[str], Awaitable[None]]  # one turn's reply, delta by delta, as it is generated


@dataclass(slots=True)
class TurnResult:
    reply: Reply
    state: DialogueState
    events: list[Event] = field(default_factory=list)
    duplicate: bool = False
    failed: bool = False  # the turn failed inside: `reply` is the recorded apology, and a retry runs it again


class UnrecordedTurn(Exception):
    """A turn failed and its apology could not be recorded either (the event store is down): the channel says
    `apology` to the customer, and the same message sent again runs again."""

    def __init__(self, apology: str, language: str) -> None:
        super().__init__(apology)
        self.apology, self.language = apology, language


@dataclass(frozen=True, slots=True)
class Perception:
    language: str
    affect: Affect
    nlu: NLUResult
    affect_source: str = "text"  # text | fused (text and speech)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Agent:
    """Runs turns for every conversation of one process."""

    def __init__(
        self,
        *,
        store: EventStore,
        nlu: NLUReader,
        affect: AffectReader,
        nlg: Composer,
        retriever: Retriever | None = None,
        tools: Toolbox | Iterable[Tool] = (),
        clock: Callable[[], datetime] = _utcnow,
        on_events: EventSink | None = None,
        responder: Responder | None = None,
        proposer: ToolProposer | None = None,
        propose_when: str = "unsure",
        max_text_chars: int = 2000,
        cache_size: int = 4096,
        turn_lock: TurnLock | None = None,
        model_executor: Executor | None = None,
    ) -> None:
        self.store = store
        self.nlu = nlu
        self.affect = affect
        self.retriever = retriever
        self.tools = tools if isinstance(tools, Toolbox) else Toolbox(tools)
        self.nlg = nlg
        self.nlg.add_tools(self.tools)
        self.clock = clock
        self.on_events = on_events
        self.responder = responder
        if responder is not None:
            responder.add_tools(self.tools)
        self.proposer = proposer
        self.propose_when = propose_when  # unsure: when the rules could not act | always | off
        self.max_text_chars = max_text_chars
        self._cache: OrderedDict[str, DialogueState] = OrderedDict()
        self._lock = KeyedLocks(cache_size)  # turns of one conversation run one at a time in this process
        self._running: dict[str, asyncio.Task[object]] = {}
        self._cut: dict[str, tuple[str | None, str]] = {}  # an interrupted turn: what was heard, and why
        self._cache_size = cache_size
        self.turn_lock = turn_lock or InProcessTurnLock()  # across workers: the server wires one in
        # CPU-heavy model work (affect, NLU, query embeddings) runs here, apart from the threads database calls use
        # (None: the loop's default executor)
        self.model_executor = model_executor

    async def _model(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.model_executor, fn, *args)

    # ----------------------------------------------------------------- state

    async def _load(self, conversation_id: str) -> DialogueState:
        state = self._cache.get(conversation_id)
        after = state.last_seq if state else 0
        return self._topped_up(conversation_id, state, await self.store.load(conversation_id, after=after))

    def _topped_up(self, conversation_id: str, state: DialogueState | None, events: list[Event]) -> DialogueState:
        """`state` (the cached one, or None) with `events` (the log after it) applied, cached as the latest."""
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
        except BaseException:  # a failure, or the turn cancelled mid-write: the cache may be off the log
            self._cache.pop(conversation_id, None)
            raise
        replay(stored, state)
        if self.on_events is not None:
            try:
                await self.on_events(conversation_id, stored, state)
            except Exception as exc:  # stored is what counts: a client recovers what was not pushed with `resume`
                log.error("pushing events of %s failed: %s", conversation_id, type(exc).__name__, exc_info=exc)
        return stored

    # ------------------------------------------------------------- lifecycle

    async def start(
        self, conversation_id: str, *, channel: str, customer_id: str | None, language: str | None,
        also: Sequence[Event] = (),
    ) -> list[Event]:
        """Record `ConversationStarted` and `also` (what the store knew of the customer as it started), in one write."""
        state = DialogueState(conversation_id=conversation_id)
        started = ConversationStarted(
            conversation_id=conversation_id, channel=channel, customer_id=customer_id, language=language
        )
        for event in also:  # (read before the start: stamped with it, so times follow the log's order)
            event.at = started.at
        async with self._lock(conversation_id):
            stored = await self._emit(conversation_id, state, [started, *also])
            self._cache[conversation_id] = state
        return stored

    async def record(self, conversation_id: str, events: Sequence[Event]) -> list[Event]:
        """Append events that come from outside the pipeline (operator actions, CSAT)."""
        async with self._lock(conversation_id), self.turn_lock.hold(conversation_id):
            state = await self._load(conversation_id)
            return await self._emit(conversation_id, state, list(events))

    async def interaction(self, conversation_id: str, kind: str, product_id: str) -> list[Event]:
        """Record what the customer did with a product card (`ProductInteracted`) and what that answers of an offer
        of the product (`OfferAnswered`). A product chosen (added to the cart, bought) is a need met: a tool that
        follows `product_interacted` may follow it up, said as a bot message of its own (one line and a card),
        unless the product was itself an offer taken up. Returns the stored events, the interaction first."""
        async with self._lock(conversation_id), self.turn_lock.hold(conversation_id):
            state = await self._load(conversation_id)
            event = ProductInteracted(conversation_id=conversation_id, kind=kind, product_id=product_id)
            answers = answered_by_interaction(state, kind, product_id)
            stored = await self._emit(conversation_id, state, [event, *answers])
            offered = any(o.get("offer_id") == product_id for o in state.offers)
            if kind not in CHOSEN_KINDS or offered:
                return stored
            need = Need(f"product:{product_id}", event.type, (product_id,))
            follow = await follow_up(self.tools, need, state, self._context(state, state.language), self.nlg)
            if follow is None:
                return stored
            said = BotUttered(conversation_id=conversation_id, **follow.reply.recorded())
            return stored + await self._emit_whole(conversation_id, state, [*follow.events, said])

    def interrupt(self, conversation_id: str, *, heard: str | None = None, reason: str = "cancelled") -> bool:
        """Cancel the conversation's running turn, if any (a caller barged in). The turn records
        `BotInterrupted` with what was already delivered — or `heard`, when the channel knows better (a voice
        call knows which sentences were played) — and raises `CancelledError` to its caller."""
        task = self._running.get(conversation_id)
        if task is None or task.done():
            return False
        self._cut[conversation_id] = (heard, reason)
        return task.cancel()

    # ------------------------------------------------------------------ turn

    def perceive(self, turn: TurnInput, previous_language: str) -> Perception:
        text = turn.text.strip()
        language = detect_language(text, previous=previous_language)
        affect, source = self.affect.analyze(text, language), "text"
        if turn.speech is not None and turn.speech.emotion:
            affect, source = self.affect.fuse(affect, turn.speech), "fused"
        return Perception(language, affect, self.nlu.parse(text), source)

    async def handle(
        self, conversation_id: str, turn: TurnInput | str, *, on_token: TokenSink | None = None
    ) -> TurnResult:
        """Run one customer turn. `on_token` receives this turn's reply as it is worded (LLM streaming)."""
        if isinstance(turn, str):
            turn = TurnInput(turn)
        text = turn.text.strip()
        if not text:
            raise InvalidMessage("empty message")
        if len(text) > self.max_text_chars:
            raise InvalidMessage(f"message longer than {self.max_text_chars} characters")
        try:
            return await self._handle(conversation_id, turn, text, on_token)
        except (InvalidMessage, UnknownConversation, UnrecordedTurn):
            raise
        except Exception as exc:  # no turn could start (the cross-worker turn lock's database is down)
            if (task := asyncio.current_task()) is not None and task.cancelling():
                raise  # a cancelled turn (a caller barged in) stays cancelled
            log.error("turn in %s could not start: %s", conversation_id, type(exc).__name__)
            language = detect_language(text, previous="zh")
            raise UnrecordedTurn(render("turn_failed", language), language) from exc

    async def _handle(
        self, conversation_id: str, turn: TurnInput, text: str, on_token: TokenSink | None
    ) -> TurnResult:
        async with self._lock(conversation_id), self.turn_lock.hold(conversation_id):
            task = asyncio.current_task()
            if task is not None:
                self._running[conversation_id] = task
            progress = _Progress(on_token)
            try:
                return await self._turn(conversation_id, turn, text, progress)
            except asyncio.CancelledError:
                heard, reason = self._cut.pop(conversation_id, (None, "cancelled"))
                if progress.heard and not progress.answered:
                    await self._interrupted(conversation_id, progress.delivered if heard is None else heard, reason)
                raise
            except (InvalidMessage, UnknownConversation):
                raise
            except Exception as exc:  # a bug, a tool or a store failing: the customer still hears back
                return await self._failed(conversation_id, turn, text, progress, exc)
            finally:
                self._cut.pop(conversation_id, None)
                if self._running.get(conversation_id) is task:
                    del self._running[conversation_id]

    async def _interrupted(self, conversation_id: str, delivered: str, reason: str = "cancelled") -> None:
        state = await self._load(conversation_id)
        await self._emit(conversation_id, state,
                         [BotInterrupted(conversation_id=conversation_id, delivered=delivered, reason=reason)])

    async def _failed(self, cid: str, turn: TurnInput, text: str, progress: _Progress, exc: Exception) -> TurnResult:
        """Answer a failed turn with an apology in the customer's language, recorded with the customer's words (when
        the failure came before they were) and `TurnFailed`, which keeps the turn open for a retry."""
        log.error("turn failed in %s: %s", cid, type(exc).__name__, exc_info=exc)
        self._cache.pop(cid, None)  # what the turn applied may be off the log
        language = "zh"
        try:
            state = await self._load(cid)
            language = state.language if state.language_fixed else detect_language(text, previous=state.language)
            reply = Reply(text=render("turn_failed", language), source="template")
            events: list[Event] = []
            if not progress.words:
                events.append(UserUttered(conversation_id=cid, text=text, language=language,
                                          client_msg_id=turn.client_msg_id))
            events += [BotUttered(conversation_id=cid, **reply.recorded(), fallback="turn_failed"),
                       TurnFailed(conversation_id=cid, client_msg_id=turn.client_msg_id, error=type(exc).__name__)]
            stored = await self._emit_whole(cid, state, events)
        except Exception as again:
            log.error("turn failed in %s and its apology was not recorded: %s", cid, type(again).__name__)
            self._cache.pop(cid, None)
            raise UnrecordedTurn(render("turn_failed", language), language) from exc
        return TurnResult(reply, state, stored, failed=True)

    async def _loaded_and_perceived(self, cid: str, turn: TurnInput) -> tuple[DialogueState, Perception]:
        """The conversation's state topped up from the log, and the turn perceived: in one trip to a model thread when
        the state is cached and the store can read synchronously (each trip to a thread and back costs the event
        loop and the GIL more than the read itself). The turn is perceived against the cached language; again in the
        rare case the log's new events changed it."""
        state = self._cache.get(cid)
        load_sync = getattr(self.store, "load_sync", None)
        if state is None or not callable(load_sync):
            state = await self._load(cid)
            return state, await self._model(self.perceive, turn, state.language)
        after, language = state.last_seq, state.language

        def both() -> tuple[list[Event], Perception]:
            return load_sync(cid, after), self.perceive(turn, language)

        events, p = await self._model(both)
        state = self._topped_up(cid, state, events)
        if state.language != language:
            p = await self._model(self.perceive, turn, state.language)
        return state, p

    async def _turn(self, cid: str, turn: TurnInput, text: str, progress: _Progress) -> TurnResult:
        state, p = await self._loaded_and_perceived(cid, turn)
        retry = None  # the open turn this message is sent again for
        if turn.client_msg_id and turn.client_msg_id in state.client_msg_ids:
            retry = state.open_turn
            if retry is None or retry.get("client_msg_id") != turn.client_msg_id or retry.get("answered"):
                return TurnResult(Reply(text="", source=None), state, duplicate=True)
            progress.words = True
            if retry.get("call") is not None:  # it failed after recording a call with side effects: complete that
                return await self._complete_call(cid, state, retry["call"], text, progress)
        language = state.language if state.language_fixed else p.language
        pending = state.requested if retry is None else _requested(retry)
        nlu = self.tools.with_cues(p.nlu, text, floor=UNSURE_BELOW, calm=p.affect.label not in NEGATIVE)
        intent = effective_intent(state, nlu, text, self.tools)
        user_events: list[Event] = [
            UserUttered(conversation_id=cid, text=text, language=p.language, client_msg_id=turn.client_msg_id),
            AffectObserved(conversation_id=cid, label=p.affect.label, score=p.affect.score,
                           intensity=p.affect.intensity, source=p.affect_source),
            IntentRecognized(conversation_id=cid, intent=intent, confidence=nlu.confidence, others=nlu.others,
                             fine_intent=nlu.fine_intent),
        ]
        for name, value in nlu.slots.items():
            if state.slot(name) != value:
                user_events.append(SlotSet(conversation_id=cid, name=name, value=value))
        if retry is not None:  # the words are in the log already; what was read in them too, unless it failed first
            user_events = [] if retry.get("perceived") else user_events[1:]
        events = await self._emit(cid, state, user_events)
        progress.words = True
        events += await self._emit(cid, state, declined(state, text, intent))  # "不用了" right after an offer
        progress.heard = True
        decision = decide(Turn(state, nlu, text, intent, pending, empathy_for(state)), self.tools)
        if self._should_propose(decision, nlu.confidence):
            ctx = self._context(state, language)
            decision, refusals = await consult(self.proposer, state, decision, language, text, ctx,  # type: ignore[arg-type]
                                               self.tools.intent_of)
            events += await self._emit(cid, state, refusals)
        settled = [self._settle(cid, state.pending_action, decision)] if state.pending_action is not None else []
        key = None
        if self._writes_ahead(decision):  # recorded before it runs (with the bot's "shall I?" settled, at once)
            assert decision.tool is not None and state.open_turn is not None
            key = f"{cid}:{state.open_turn['seq']}"
            called = ToolCalled(conversation_id=cid, tool=decision.tool, args=dict(decision.args),
                                proposed_by=decision.proposed_by, key=key, intent=decision.intent)
            events += await self._emit_whole(cid, state, [*settled, called])
        else:  # the bot had asked "shall I?": this turn settles it, one way or another
            events += await self._emit(cid, state, settled)
        if decision.kind == "silent":
            progress.answered = True
            return TurnResult(Reply(text="", source=None), state, events)
        reply, bot_events = await self._act_and_respond(state, decision, language, text, progress.sink, key=key)
        progress.answered = True  # from here on the reply is recorded whole, even if cancelled meanwhile
        events += await self._emit_whole(cid, state, bot_events)
        return TurnResult(reply, state, events)

    async def _complete_call(self, cid: str, state: DialogueState, call: dict[str, Any], text: str,
                             progress: _Progress) -> TurnResult:
        """A retried turn that failed after recording its call with side effects: run that call (same arguments,
        same key: the tool does it at most once) and answer with its outcome."""
        name = str(call["tool"])
        tool = self.tools.get(name)
        decision = Decision("call_tool", str(call.get("intent") or self.tools.intent_of(name) or "other"), tool=name,
                            args=dict(call.get("args") or {}), proposed_by=str(call.get("proposed_by") or "policy"),
                            llm_words=bool(getattr(tool, "llm_words", True)), confirmed=True)
        progress.heard = True
        reply, bot_events = await self._act_and_respond(state, decision, state.language, text, progress.sink,
                                                        key=str(call["key"]))
        progress.answered = True
        return TurnResult(reply, state, await self._emit_whole(cid, state, bot_events))

    def _writes_ahead(self, decision: Decision) -> bool:
        """A call that runs now and changes something for the customer."""
        tool = self.tools.get(decision.tool) if decision.kind == "call_tool" and decision.tool else None
        if tool is None or not getattr(tool, "side_effects", False):
            return False
        return decision.confirmed or not getattr(tool, "confirm", False)

    async def _emit_whole(self, cid: str, state: DialogueState, events: list[Event]) -> list[Event]:
        """`_emit` that a cancellation cannot cut in half: it finishes before the turn lets go of the lock."""
        write = asyncio.ensure_future(self._emit(cid, state, events))
        try:
            return await asyncio.shield(write)
        except asyncio.CancelledError:
            await write
            raise

    @staticmethod
    def _settle(cid: str, pending: dict[str, object], decision: Decision) -> ActionSettled:
        outcome = ("confirmed" if decision.confirmed else "declined" if decision.template == DECLINED_TEMPLATE
                   else "dropped")
        return ActionSettled(conversation_id=cid, tool=str(pending.get("tool")), outcome=outcome)

    def _context(self, state: DialogueState, language: str) -> ToolContext:
        return ToolContext(conversation_id=state.conversation_id, customer_id=state.customer_id, language=language,
                           now=self.clock(), cart=tuple(state.cart))

    def _should_propose(self, decision: Decision, confidence: float) -> bool:
        """Ask the LLM for a tool when the rules could not act (unsure: not when they hold the tool and its arguments),
        or on every task turn (always)."""
        if self.proposer is None or self.propose_when == "off" or decision.kind in ("silent", "handoff"):
            return False
        if decision.confirmed or decision.template == DECLINED_TEMPLATE:  # the customer answered "shall I?"
            return False
        if decision.recognised:  # a tool read the turn against its own data (a listing number, a product detail)
            return False
        if decision.intent in NO_PROPOSAL_INTENTS:
            return False
        if self.propose_when == "always":
            return True
        if rules_resolved(decision, self.tools.get(decision.tool) if decision.tool else None):
            return False  # the tool and its arguments are known: a (forced) round would only copy them
        return decision.intent == "other" or bool(decision.ask_slot) or confidence < UNSURE_BELOW

    async def _act_and_respond(
        self, state: DialogueState, decision: Decision, language: str, text: str, on_token: TokenSink | None,
        *, key: str | None = None,
    ) -> tuple[Reply, list[Event]]:
        cid = state.conversation_id
        out: list[Event] = []
        acted = Acted(language, text, tool=self.tools.get(decision.tool) if decision.tool else None)
        if decision.kind == "call_tool" and decision.tool and getattr(acted.tool, "confirm", False) \
                and not decision.confirmed:
            # a call the customer confirms first: state it exactly (templated, never LLM-worded) and ask
            decision = replace(decision, asks_confirmation=True, llm_words=False)
            acted.result, acted.error, out = await preview_tool(
                acted.tool, decision.tool, decision.args, self._context(state, language), intent=decision.intent,
                proposed_by=decision.proposed_by, llm_words=getattr(acted.tool, "llm_words", True),
                corrected=decision.corrected)
        elif decision.kind == "call_tool" and decision.tool:
            ctx = replace(self._context(state, language), key=key)
            acted.result, acted.error, out = await run_tool(acted.tool, decision.tool, decision.args, ctx,
                                                            proposed_by=decision.proposed_by, announced=key is not None)
        elif decision.kind == "answer_kb" and decision.query and self.retriever is not None:
            retriever, query = self.retriever, decision.query
            acted.passages = await self._model(lambda: retriever.search(query, k=3, language=language))
            if acted.passages and not acted.passages[0].sufficient and decision.unsure:
                # nothing found answers it well enough: ask back, never quote the nearest document
                decision, acted.passages = replace(decision, kind="template", template=decision.unsure,
                                                   llm_words=False), []
        reply = self.nlg.compose(decision, acted)
        fallback: str | None = None
        if self.responder is not None and self.responder.applies(decision):
            worded = await self.responder.reply(decision, acted, reply, on_token)
            reply, fallback = worded.reply, worded.fallback
        follow = await self._follow_up(state, decision, acted, language)
        if follow is not None:
            if reply.source == "llm" and on_token is not None:  # the worded reply was streamed: so is its tail
                await on_token(("" if language == "zh" else " ") + follow.reply.text)
            reply = appended(reply, follow, language)
            out += follow.events
        if decision.kind == "handoff":
            out.append(HandoffRequested(conversation_id=cid, reason=decision.handoff_reason or "customer_asked"))
        out.append(BotUttered(conversation_id=cid, **reply.recorded(), fallback=fallback))
        if decision.ask_slot and _asked(decision, acted):
            out.append(SlotRequested(conversation_id=cid, intent=decision.intent, slot=decision.ask_slot))
        return reply, out

    async def _follow_up(
        self, state: DialogueState, decision: Decision, acted: Acted, language: str
    ) -> FollowUp | None:
        """A follow-up of the need this turn met — the need its call met, or a question answered from the policy
        documents (`policy_need`); never on a turn that asks the customer something (a slot, a confirmation) or
        failed."""
        if acted.error is not None or decision.asks_confirmation or decision.ask_slot:
            return None
        if decision.kind == "answer_kb":
            need = policy_need(acted.passages)
        elif decision.kind == "call_tool" and acted.result is not None:
            need = acted.result.met
        else:
            need = None
        if need is None:
            return None
        return await follow_up(self.tools, need, state, self._context(state, language), self.nlg)


def _requested(turn: dict[str, Any]) -> tuple[str, str] | None:
    """The slot the bot was waiting for before an open turn (what a retry of it answers)."""
    requested = turn.get("requested")
    return (str(requested[0]), str(requested[1])) if requested else None


def _asked(decision: Decision, acted: Acted) -> bool:
    """Did this reply ask for the decision's slot? A call asks by answering (a list to pick from); a call the customer
    confirms first asks only when its preview could not tell which one was meant (a `ToolError` whose `asks` names
    the slot: "which of your orders?"), never alongside "shall I?"."""
    if not decision.asks_confirmation:
        return acted.error is None
    return acted.error is not None and acted.error.params.get("asks") == decision.ask_slot


class _Progress:
    """How far one turn got: the customer's words recorded (`words`), and what was read in them (`heard`), the reply
    recorded (`answered`), and the part of a streamed reply already delivered."""

    def __init__(self, on_token: TokenSink | None) -> None:
        self.words = False
        self.heard = False
        self.answered = False
        self._parts: list[str] = []
        self._on_token = on_token

    @property
    def delivered(self) -> str:
        return "".join(self._parts)

    async def sink(self, delta: str) -> None:
        self._parts.append(delta)
        if self._on_token is not None:
            await self._on_token(delta)
