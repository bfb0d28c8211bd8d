"""`DialogueState`: what the bot believes now. Built only by applying events (see `agent.events`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class SlotValue:
    value: Any
    confidence: float
    turn: int


@dataclass(slots=True)
class AffectPoint:
    label: str
    score: float
    intensity: float
    turn: int


@dataclass(slots=True)
class DialogueState:
    conversation_id: str
    channel: str = "web"
    customer_id: str | None = None
    language: str = "zh"
    language_fixed: bool = False
    turn: int = 0
    last_seq: int = 0
    intent: str | None = None
    intent_confidence: float = 0.0
    intent_history: list[str] = field(default_factory=list)
    slots: dict[str, SlotValue] = field(default_factory=dict)
    affect: list[AffectPoint] = field(default_factory=list)
    escalation_score: float = 0.0
    handoff: str = "bot"  # bot | queued | operator
    handoff_reason: str | None = None
    operator: str | None = None
    human_offered: bool = False
    recommended: list[str] = field(default_factory=list)
    # the products the conversation is about now: the latest list shown as cards, or the one product the customer
    # last did something with ("这个多少钱", "does it come with a charger?" refer to them)
    focus_products: list[str] = field(default_factory=list)
    # products added to the cart in this conversation and not bought since, oldest first (`ProductInteracted`): what
    # the offer tools count a spend threshold against, without reading the whole log each turn
    cart: list[str] = field(default_factory=list)
    # per OfferMade: {"kind", "offer_id", "need", "event_id", "turn" (the customer turn it followed), "source" (the
    # tool that made it), "outcomes" (what OfferAnswered recorded of it)}
    offers: list[dict[str, Any]] = field(default_factory=list)
    experiments: dict[str, str] = field(default_factory=dict)  # experiment id -> the customer's arm
    csat: int | None = None
    requested: tuple[str, str] | None = None  # (intent, slot) the bot is waiting for
    # a call the bot stated and asked the customer to confirm ({"tool", "args", "intent", ...}); only their next
    # turn can confirm it (see ActionProposed / ActionSettled)
    pending_action: dict[str, Any] | None = None
    client_msg_ids: list[str] = field(default_factory=list)
    # the latest customer turn: {"client_msg_id", "seq" (its UserUttered), "answered" (a reply recorded, not an
    # apology), "requested" and "pending_action" (what the bot was waiting for before it), "call" (a call with side
    # effects recorded before it ran and not yet returned)}. A retry of an unanswered turn reads it
    open_turn: dict[str, Any] | None = None
    # the customer's profile as the conversation started (`CustomerProfiled`): segment, churn_risk, keep, needs
    customer_profile: dict[str, Any] | None = None

    def slot(self, name: str) -> Any:
        sv = self.slots.get(name)
        return sv.value if sv else None

    @property
    def current_affect(self) -> AffectPoint | None:
        return self.affect[-1] if self.affect else None

    def public(self) -> dict[str, Any]:
        """The `state` object of the public API."""
        a = self.current_affect
        return {
            "language": self.language,
            "intent": self.intent,
            "intent_confidence": round(self.intent_confidence, 3),
            "slots": {k: v.value for k, v in self.slots.items()},
            "affect": {
                "label": a.label if a else "neutral",
                "score": round(a.score, 3) if a else 0.0,
                "intensity": round(a.intensity, 3) if a else 0.0,
            },
            "handoff": self.handoff,
        }

    def snapshot(self) -> dict[str, Any]:
        """Everything, for equality checks between live and replayed state."""
        return asdict(self)
