"""Decide what the bot does this turn, from the tracked state and this turn's understanding.

Pure: no I/O. The pipeline carries the decision out (tools, retrieval) and NLG words it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agent.nlu import NLUResult
from agent.state import DialogueState

NEGATIVE = ("anger", "anxiety", "disappointment")
# Escalation score (see AffectObserved.apply_to) at which persistent anger goes to a person:
# two angry turns in a row reach it, one does not.
ESCALATE_AT = 1.2
# How many turns an order id stays the default subject ("where is it now?").
ORDER_MEMORY_TURNS = 4


@dataclass(frozen=True, slots=True)
class Decision:
    """One action: `kind` is template | call_tool | answer_kb | handoff | silent."""

    kind: str
    intent: str
    template: str | None = None
    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    query: str | None = None
    handoff_reason: str | None = None
    empathy: str | None = None
    offer_human: bool = False
    ask_slot: str | None = None  # record SlotRequested(intent, ask_slot) after replying
    proposed_by: str = "policy"  # policy | llm (a validated LLM tool proposal)


SLOT_ONLY_INTENTS = ("other", "order_status", "product_search", "affirm", "deny")
# "不对，是另一个订单 KF…", "no, I meant the other one, KF…": a correction continues the previous order intent.
_CORRECTION = re.compile(
    r"不对|不是这个|不是那个|另一个|另外一个|搞错|弄错|说错|写错|应该是|"
    r"\bno,? i meant\b|\bi meant\b|\bthe other (one|order)\b|\bwrong (one|order)\b|\bnot that one\b|\bactually\b",
    re.IGNORECASE,
)


def effective_intent(state: DialogueState, nlu: NLUResult, text: str = "") -> str:
    """This turn's intent, reading short answers and corrections in the light of the turns before.

    Call it on the state as it was before this turn's events: "yes" after the offer of a person is a
    request for one; a bare order id answers the slot the bot asked for; "no, the other one, KF…"
    continues the previous order intent with the new id.
    """
    if nlu.intent == "affirm" and state.human_offered and state.handoff == "bot":
        return "human"
    if state.requested:
        pending, slot = state.requested
        if slot in nlu.slots and nlu.intent in SLOT_ONLY_INTENTS:
            return pending
    previous = state.intent_history[-1] if state.intent_history else None
    if "order_id" in nlu.slots and previous in ("order_status", "return_request") and (
        nlu.intent in ("other", "deny", "affirm") or _CORRECTION.search(text)
    ):
        return previous
    return nlu.intent


def empathy_for(state: DialogueState) -> str | None:
    affect = state.current_affect
    if affect and affect.label in NEGATIVE and affect.intensity >= 0.45 and affect.turn == state.turn:
        return affect.label
    return None


def remembered_order(state: DialogueState) -> str | None:
    sv = state.slots.get("order_id")
    if sv and state.turn - sv.turn <= ORDER_MEMORY_TURNS:
        return str(sv.value)
    return None


def decide(
    state: DialogueState, nlu: NLUResult, text: str, intent: str, pending: tuple[str, str] | None = None
) -> Decision:
    """The action for this turn; `state` already holds this turn's events, `pending` is the slot the
    bot asked for before it (if any)."""
    empathy = empathy_for(state)
    if state.handoff == "operator":
        return Decision("silent", intent)
    angry_now = bool(state.current_affect and state.current_affect.label == "anger" and empathy)
    if angry_now and state.escalation_score >= ESCALATE_AT and state.handoff == "bot":
        return Decision("handoff", intent, template="handoff_anger", handoff_reason="anger_persists",
                        empathy=empathy)
    if intent == "human":
        if state.handoff == "queued":
            return Decision("template", intent, template="handoff_already", empathy=empathy)
        return Decision("handoff", intent, template="handoff_queued", handoff_reason="customer_asked",
                        empathy=empathy)
    if state.handoff == "queued" and intent in ("other", "greeting", "affirm"):
        return Decision("template", intent, template="handoff_already", empathy=empathy)
    if intent == "order_status":
        order_id = nlu.slots.get("order_id") or remembered_order(state)
        if order_id is None:
            return Decision("call_tool", intent, tool="order_status", args={}, empathy=empathy,
                            ask_slot="order_id")
        return Decision("call_tool", intent, tool="order_status", args={"order_id": order_id}, empathy=empathy)
    if intent == "return_request":
        order_id = nlu.slots.get("order_id") or (remembered_order(state) if pending else None)
        if order_id is None:
            return Decision("call_tool", intent, tool="order_status", args={}, empathy=empathy,
                            template="ask_return_order", ask_slot="order_id")
        args: dict[str, Any] = {"order_id": order_id, "kind": state.slot("return_kind") or "no_reason"}
        if state.slot("reason"):
            args["reason"] = str(state.slot("reason"))[:500]
        if nlu.slots.get("category"):
            args["category"] = nlu.slots["category"]
        return Decision("call_tool", intent, tool="request_return", args=args, empathy=empathy)
    if intent == "product_search":
        category = nlu.slots.get("category") or (state.slot("category") if pending else None)
        if category is None:
            return Decision("template", intent, template="ask_product_kind", ask_slot="category")
        return Decision("call_tool", intent, tool="product_search", args={"category": category})
    if intent in ("policy_question", "coupon_question"):
        return Decision("answer_kb", intent, query=text, empathy=empathy)
    if intent == "complaint":
        return Decision("template", intent, template="complaint", empathy=empathy or "disappointment",
                        offer_human=True)
    if intent in ("greeting", "thanks", "goodbye"):
        return Decision("template", intent, template=intent)
    if intent == "affirm":
        return Decision("template", intent, template="affirm_nothing")
    if intent == "deny":
        return Decision("template", intent, template="deny_nothing")
    # Out of scope or too unsure to act on: steer back to what the store can help with.
    return Decision("template", intent, template="fallback", empathy=empathy, offer_human=bool(empathy))
