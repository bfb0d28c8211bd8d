"""Dialogue events: the only way `DialogueState` changes.

Each event is a small dataclass whose `apply_to(state)` is pure with respect to everything but the
state it is given, so any conversation can be rebuilt from its log (`replay`). Events are persisted
as `(type, payload)`; `to_payload`/`from_record` are the wire and storage form.
"""

from __future__ import annotations

import os
import threading
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, ClassVar

from agent.state import AffectPoint, DialogueState, SlotValue

EVENT_TYPES: dict[str, type[Event]] = {}

# How strongly a new negative affect pushes the escalation score, and how fast it decays.
ESCALATION_DECAY = 0.5


def _now() -> datetime:
    return datetime.now(UTC)


_ID_BLOCK = 16 * 256  # random bytes read at once, per thread: 256 ids
_ids = threading.local()


def _new_id() -> str:
    """A random (version 4) UUID in hex, as `uuid.uuid4().hex`, from random bytes each thread reads 256 ids at a
    time: each `os.urandom` is a system call that lets go of the GIL, and a turn makes half a dozen events on the
    event loop's thread, where every such let-go hands the loop to a busy worker thread. (Per thread: no lock.)"""
    mine = _ids
    at = getattr(mine, "at", _ID_BLOCK)
    if at >= _ID_BLOCK:
        mine.block, at = os.urandom(_ID_BLOCK), 0
    mine.at = at + 16
    return uuid.UUID(bytes=mine.block[at : at + 16], version=4).hex


def _fresh_ids() -> None:
    """A forked child reads its own random bytes (never the ids left in its parent's blocks)."""
    global _ids
    _ids = threading.local()


os.register_at_fork(after_in_child=_fresh_ids)


@dataclass(kw_only=True, slots=True)
class Event:
    """Base event: identity, conversation, per-conversation sequence number (set by the store), time."""

    type: ClassVar[str] = "event"
    conversation_id: str
    seq: int = 0
    at: datetime = field(default_factory=_now)
    id: str = field(default_factory=_new_id)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Every event class is readable from the log by its `type`, wherever it is defined (a tool's own
        events live in the tool's module)."""
        object.__init_subclass__()  # (zero-argument super() breaks in a slots dataclass)
        if "type" in cls.__dict__:
            EVENT_TYPES[cls.type] = cls

    def apply_to(self, state: DialogueState) -> None:
        state.last_seq = max(state.last_seq, self.seq)
        self._apply(state)

    def _apply(self, state: DialogueState) -> None:
        """What this event changes in the state besides its sequence number (nothing, by default)."""

    def to_payload(self) -> dict[str, Any]:
        """Event-specific fields only (identity and time are stored in their own columns)."""
        return {name: _jsonable(getattr(self, name)) for name in _payload_names(type(self))}

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "conversation_id": self.conversation_id,
            "seq": self.seq,
            "at": self.at.isoformat(),
            "payload": self.to_payload(),
        }

    @staticmethod
    def from_record(
        *, type: str, conversation_id: str, seq: int, at: datetime, id: str, payload: dict[str, Any]
    ) -> Event:
        cls = EVENT_TYPES.get(type)
        if cls is None:
            raise ValueError(f"unknown event type {type!r}")
        names = _field_names(cls)
        kwargs = {k: v for k, v in payload.items() if k in names}
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        return cls(conversation_id=conversation_id, seq=seq, at=at, id=id, **kwargs)


_BASE_FIELDS = frozenset({"conversation_id", "seq", "at", "id"})  # stored in their own columns, not in the payload
_NAMES: dict[type, tuple[frozenset[str], tuple[str, ...]]] = {}  # per event class: its fields, its payload's


def _names(cls: type[Event]) -> tuple[frozenset[str], tuple[str, ...]]:
    """An event class's field names and its payload's (read once: every stored, loaded and pushed event needs
    them, and `dataclasses.fields` builds them anew on each call)."""
    found = _NAMES.get(cls)
    if found is None:
        every = tuple(f.name for f in fields(cls))
        found = _NAMES[cls] = (frozenset(every), tuple(n for n in every if n not in _BASE_FIELDS))
    return found


def _field_names(cls: type[Event]) -> frozenset[str]:
    return _names(cls)[0]


def _payload_names(cls: type[Event]) -> tuple[str, ...]:
    return _names(cls)[1]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return value


@dataclass(kw_only=True, slots=True)
class ConversationStarted(Event):
    type: ClassVar[str] = "conversation_started"
    channel: str
    customer_id: str | None = None
    language: str | None = None

    def _apply(self, state: DialogueState) -> None:
        state.channel = self.channel
        state.customer_id = self.customer_id
        if self.language:
            state.language = self.language
            state.language_fixed = True


@dataclass(kw_only=True, slots=True)
class UserUttered(Event):
    type: ClassVar[str] = "user_uttered"
    text: str
    language: str = "en"
    client_msg_id: str | None = None

    def _apply(self, state: DialogueState) -> None:
        state.turn += 1
        if not state.language_fixed:
            state.language = self.language
        if self.client_msg_id:
            state.client_msg_ids.append(self.client_msg_id)
            del state.client_msg_ids[:-50]
        # the turn is open until a reply is recorded; what the bot was waiting for is kept for a retry to read
        state.open_turn = {"client_msg_id": self.client_msg_id, "seq": self.seq, "answered": False,
                           "requested": list(state.requested) if state.requested else None,
                           "pending_action": state.pending_action, "call": None}


@dataclass(kw_only=True, slots=True)
class IntentRecognized(Event):
    type: ClassVar[str] = "intent_recognized"
    intent: str
    confidence: float
    others: list[str] = field(default_factory=list)
    fine_intent: str | None = None  # the classifier's finer label, e.g. change_shipping_address

    def _apply(self, state: DialogueState) -> None:
        state.intent = self.intent
        state.intent_confidence = self.confidence
        state.intent_history.append(self.intent)
        state.requested = None
        if state.open_turn is not None:
            state.open_turn["perceived"] = True


@dataclass(kw_only=True, slots=True)
class SlotSet(Event):
    type: ClassVar[str] = "slot_set"
    name: str
    value: Any
    confidence: float = 1.0

    def _apply(self, state: DialogueState) -> None:
        if self.value is None:
            state.slots.pop(self.name, None)
        else:
            state.slots[self.name] = SlotValue(self.value, self.confidence, state.turn)


@dataclass(kw_only=True, slots=True)
class AffectObserved(Event):
    """Affect of one utterance: label, valence score in [-1, 1], intensity in [0, 1]."""

    type: ClassVar[str] = "affect_observed"
    label: str
    score: float
    intensity: float
    source: str = "text"  # text | speech | fused

    def _apply(self, state: DialogueState) -> None:
        state.affect.append(AffectPoint(self.label, self.score, self.intensity, state.turn))
        pressure = self.intensity if self.label == "anger" else max(0.0, -self.score) * 0.5
        state.escalation_score = round(state.escalation_score * ESCALATION_DECAY + pressure, 4)


@dataclass(kw_only=True, slots=True)
class SlotRequested(Event):
    """The bot asked for `slot` to continue `intent`; the next turn may answer just that."""

    type: ClassVar[str] = "slot_requested"
    intent: str
    slot: str

    def _apply(self, state: DialogueState) -> None:
        state.requested = (self.intent, self.slot)


@dataclass(kw_only=True, slots=True)
class ToolCalled(Event):
    type: ClassVar[str] = "tool_called"
    tool: str
    args: dict[str, Any] = field(default_factory=dict)
    proposed_by: str = "policy"  # policy | llm
    # a call with side effects is recorded before it runs, with the key that makes it run at most once: a retry of a
    # turn that failed after recording it completes this call (same key) instead of deciding anew
    key: str | None = None
    intent: str | None = None

    def _apply(self, state: DialogueState) -> None:
        if self.key is not None and state.open_turn is not None:
            state.open_turn["call"] = {"tool": self.tool, "args": dict(self.args), "proposed_by": self.proposed_by,
                                       "key": self.key, "intent": self.intent}


@dataclass(kw_only=True, slots=True)
class ToolProposalRefused(Event):
    """The LLM proposed a call that the state and policy did not allow; it never ran."""

    type: ClassVar[str] = "tool_proposal_refused"
    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


@dataclass(kw_only=True, slots=True)
class ActionProposed(Event):
    """The bot stated a call with side effects (`tool` with `args`) and asked the customer to confirm it;
    nothing ran. Their next turn confirms it, declines it, or moves on (`ActionSettled`)."""

    type: ClassVar[str] = "action_proposed"
    tool: str
    args: dict[str, Any] = field(default_factory=dict)
    intent: str = ""
    proposed_by: str = "policy"  # policy | llm
    llm_words: bool = True  # the tool's replies may be worded by the LLM once it runs
    corrected: dict[str, Any] = field(default_factory=dict)  # LLM arguments replaced by the customer's words

    def _apply(self, state: DialogueState) -> None:
        state.pending_action = {"tool": self.tool, "args": dict(self.args), "intent": self.intent,
                                "proposed_by": self.proposed_by, "llm_words": self.llm_words}


@dataclass(kw_only=True, slots=True)
class ActionSettled(Event):
    """What became of the pending call: `confirmed` (it runs this turn), `declined` (the customer said no) or
    `dropped` (the customer turned to something else)."""

    type: ClassVar[str] = "action_settled"
    tool: str
    outcome: str  # confirmed | declined | dropped

    def _apply(self, state: DialogueState) -> None:
        state.pending_action = None


@dataclass(kw_only=True, slots=True)
class ToolReturned(Event):
    type: ClassVar[str] = "tool_returned"
    tool: str
    ok: bool
    data: dict[str, Any] = field(default_factory=dict)
    error_code: str | None = None

    def _apply(self, state: DialogueState) -> None:
        call = state.open_turn.get("call") if state.open_turn else None
        if call is not None and call["tool"] == self.tool:  # the recorded call has run: a retry must not run it
            state.open_turn["call"] = None  # type: ignore[index]


@dataclass(kw_only=True, slots=True)
class RecommendationShown(Event):
    """Products shown to the customer as cards (a search, a recommendation, a cross-sell)."""

    type: ClassVar[str] = "recommendation_shown"
    product_ids: list[str] = field(default_factory=list)
    source: str = ""  # the tool that chose them
    # per product shown, in order: {"product_id", "score", "source"} (the recommender's signal: popular, repeat,
    # co-occurrence, model, compatible); empty in logs written before recommendations were scored
    candidates: list[dict[str, Any]] = field(default_factory=list)
    bandit: dict[str, Any] | None = None  # a re-ranking policy's record (`bandit.Served.to_payload()`), if one ran
    personalised: bool = False  # chosen for a verified customer's history (else popular-and-safe)

    def _apply(self, state: DialogueState) -> None:
        for pid in self.product_ids:
            if pid not in state.recommended:
                state.recommended.append(pid)
        if self.product_ids:
            state.focus_products = list(self.product_ids)


INTERACTION_KINDS = ("viewed", "clicked", "added_to_cart", "purchased")


@dataclass(kw_only=True, slots=True)
class ProductInteracted(Event):
    """What the customer did with a product card (the `interaction` frame or REST call): `kind` is one of
    `INTERACTION_KINDS`. The next recommendation in the conversation reads these from the log (the in-session
    signal), and training counts them as interest."""

    type: ClassVar[str] = "product_interacted"
    kind: str
    product_id: str

    def _apply(self, state: DialogueState) -> None:
        state.focus_products = [self.product_id]
        if self.kind == "added_to_cart" and self.product_id not in state.cart:
            state.cart.append(self.product_id)
        elif self.kind == "purchased" and self.product_id in state.cart:
            state.cart.remove(self.product_id)


OFFER_OUTCOMES = ("clicked", "added_to_cart", "purchased", "declined")


@dataclass(kw_only=True, slots=True)
class OfferMade(Event):
    """An offer put to the customer: a cross-sell (the one complementary product after a need was met), and
    later campaigns and coupons. With `OfferAnswered` it is the marketing outcome log: a rule's acceptance
    rate is its answered offers over its offers made.

    `offer_id` names what is offered (the product id of a cross-sell, the campaign id of a campaign, coupon or
    trade-in offer); `need` the need that was met (e.g. `order:KF123`, `product:P001`, `policy:returns`), so an
    offer is made at most once per need; `rule` the association rule that chose it (`{"rule_set", "by",
    "antecedent", "consequent", "support", "confidence", "lift"}`), or None when the catalogue's fit chose it.
    `policy` is what chose a campaign or coupon offer and how likely that choice was
    (`tools.marketing.offer_bandit.Choice.payload`: segment, arm, rank, propensity, distribution), plus the
    experiment arm or threshold level in force, if any; None when no policy chose it. `variant` is the copy the
    customer was shown (an angle of `tools.marketing.campaigns.variants`: plain, limited_time, quality) and
    `segment` the shopper segment it was chosen for, so variants can compete."""

    type: ClassVar[str] = "offer_made"
    kind: str  # cross_sell | campaign | coupon | trade_in
    offer_id: str
    need: str = ""
    source: str = ""  # the tool that made it
    rule: dict[str, Any] | None = None
    policy: dict[str, Any] | None = None
    variant: str = ""  # the copy shown (empty: the tool's one wording)
    segment: str = ""  # the shopper segment the copy was chosen for

    def _apply(self, state: DialogueState) -> None:
        state.offers.append({"kind": self.kind, "offer_id": self.offer_id, "need": self.need, "event_id": self.id,
                             "turn": state.turn, "source": self.source, "outcomes": []})


@dataclass(kw_only=True, slots=True)
class OfferAnswered(Event):
    """What became of an offer: the customer clicked, added to the cart or bought the offered product, or
    turned it down (`OFFER_OUTCOMES`). `offer_event_id` is the `OfferMade` event's id."""

    type: ClassVar[str] = "offer_answered"
    offer_event_id: str
    kind: str
    offer_id: str
    outcome: str

    def _apply(self, state: DialogueState) -> None:
        for offer in state.offers:
            if offer.get("event_id") == self.offer_event_id and self.outcome not in offer.setdefault("outcomes", []):
                offer["outcomes"].append(self.outcome)


@dataclass(kw_only=True, slots=True)
class CouponIssued(Event):
    """A coupon was issued to the customer (claimed in chat, every rule checked by the tool that issued it):
    what licenses "the coupon is in your account" in a reply. Who got it (`customer_id`), under which campaign,
    its terms, and why: `reason` (e.g. `claimed_in_chat`) and the customer's words that asked for it."""

    type: ClassVar[str] = "coupon_issued"
    code: str
    campaign_id: str
    customer_id: str
    discount: str  # yuan, "20.00"
    min_spend: str = "0.00"
    expires_at: str = ""  # ISO 8601
    reason: str = "claimed_in_chat"
    requested: str = ""  # the customer's words that asked for it (at most 200 characters)
    source: str = ""  # the tool that issued it


@dataclass(kw_only=True, slots=True)
class ExperimentAssigned(Event):
    """The customer was put in an arm of an experiment (once per customer and experiment, recorded in the
    conversation where it happened): `stratum` is the segment and tier they were randomised within."""

    type: ClassVar[str] = "experiment_assigned"
    experiment_id: str
    arm: str
    customer_id: str
    stratum: str = ""
    campaign_id: str = ""

    def _apply(self, state: DialogueState) -> None:
        state.experiments[self.experiment_id] = self.arm


@dataclass(kw_only=True, slots=True)
class BotUttered(Event):
    type: ClassVar[str] = "bot_uttered"
    text: str
    source: str = "template"
    citations: list[dict[str, Any]] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)
    quick_replies: list[str] = field(default_factory=list)
    offer_human: bool = False
    fallback: str | None = None  # why a template answered although the LLM was asked (guard, llm_timeout, …)

    def _apply(self, state: DialogueState) -> None:
        state.human_offered = state.human_offered or self.offer_human
        _answered(state)


@dataclass(kw_only=True, slots=True)
class BotInterrupted(Event):
    """The bot's reply to this turn was cut off (a caller barged in, the turn was cancelled): `delivered` is
    what the customer had already been given; the rest was never said."""

    type: ClassVar[str] = "bot_interrupted"
    delivered: str = ""
    reason: str = "cancelled"

    def _apply(self, state: DialogueState) -> None:
        _answered(state)


def _answered(state: DialogueState) -> None:
    if state.open_turn is not None:
        state.open_turn["answered"] = True


@dataclass(kw_only=True, slots=True)
class HandoffRequested(Event):
    """The customer asked for a person, or the policy escalated: the conversation waits for an operator."""

    type: ClassVar[str] = "handoff_requested"
    reason: str

    def _apply(self, state: DialogueState) -> None:
        if state.handoff == "bot":
            state.handoff = "queued"
        state.handoff_reason = self.reason


@dataclass(kw_only=True, slots=True)
class OperatorJoined(Event):
    """An operator took the conversation over: the bot stops answering until it is handed back."""

    type: ClassVar[str] = "operator_joined"
    operator: str

    def _apply(self, state: DialogueState) -> None:
        state.handoff, state.operator = "operator", self.operator


@dataclass(kw_only=True, slots=True)
class OperatorUttered(Event):
    """What an operator wrote to the customer (`operator` is the login; the customer sees the display name)."""

    type: ClassVar[str] = "operator_uttered"
    operator: str
    text: str


@dataclass(kw_only=True, slots=True)
class HandedBack(Event):
    """The operator gave the conversation back to the bot; escalation pressure starts again from zero."""

    type: ClassVar[str] = "handed_back"
    operator: str | None = None

    def _apply(self, state: DialogueState) -> None:
        state.handoff = "bot"
        state.operator = None
        state.escalation_score = 0.0


@dataclass(kw_only=True, slots=True)
class CsatGiven(Event):
    """The customer's 1–5 rating at the end of the conversation."""

    type: ClassVar[str] = "csat_given"
    score: int

    def _apply(self, state: DialogueState) -> None:
        state.csat = self.score


@dataclass(kw_only=True, slots=True)
class TurnFailed(Event):
    """The customer's turn failed inside (`error`: the exception's type) and was answered with an apology (the
    `BotUttered` before this): the turn stays open, so the same message sent again (`client_msg_id`) runs again."""

    type: ClassVar[str] = "turn_failed"
    client_msg_id: str | None = None
    error: str = ""

    def _apply(self, state: DialogueState) -> None:
        if state.open_turn is not None and state.open_turn.get("client_msg_id") == self.client_msg_id:
            state.open_turn["answered"] = False


@dataclass(kw_only=True, slots=True)
class CustomerProfiled(Event):
    """What the store knows of the signed-in customer as the conversation starts (customer insight): their
    behaviour segment, churn risk (0-1, None when not scored), whether the store wants to keep them (a high risk),
    and the needs their reviews and messages show, most first. The policy reads `keep` (an upset customer the store
    may lose reaches a person sooner)."""

    type: ClassVar[str] = "customer_profiled"
    segment: str
    churn_risk: float | None = None
    keep: bool = False
    needs: list[str] = field(default_factory=list)

    def _apply(self, state: DialogueState) -> None:
        state.customer_profile = {"segment": self.segment, "churn_risk": self.churn_risk, "keep": self.keep,
                                  "needs": list(self.needs)}


def replay(events: list[Event], state: DialogueState) -> DialogueState:
    """Apply events in order to `state` (a fresh one rebuilds a conversation from its log)."""
    for event in events:
        event.apply_to(state)
    return state

