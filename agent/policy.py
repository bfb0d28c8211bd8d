"""Decide what the bot does this turn, from the tracked state and this turn's understanding.

Pure: no I/O. A few rules come first (an operator holds the conversation, anger persists, the customer
answers the bot's "shall I file it?", the customer asks for a person); then a table maps the intent to its
handler. Tools bring their own handlers: an intent
a registered tool declares goes to that tool's `plan`. The pipeline carries the decision out (tools,
retrieval) and NLG words it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from agent.intents import NO_TASK_INTENTS, PERSON_INTENTS, SOCIAL_INTENTS
from agent.protocols import NLUResult
from agent.state import DialogueState

if TYPE_CHECKING:
    from agent.tooling import Toolbox

NEGATIVE = ("anger", "anxiety", "disappointment")
# Escalation score (see AffectObserved.apply_to) at which persistent anger goes to a person:
# two angry turns in a row reach it, one does not.
ESCALATE_AT = 1.2
# For a customer the store wants to keep (their profile's churn risk is high: `CustomerProfiled.keep`), one clearly
# angry turn is enough: losing them costs more than a person's minutes.
ESCALATE_AT_KEEP = 0.5
# The out-of-scope reply: with an LLM, a short reply that steers back to what the store can help with.
STEER_TEMPLATE = "fallback"
# How many turns a slot value stays the default subject ("where is it now?").
SLOT_MEMORY_TURNS = 4
# The reply to a "no" when the bot had asked to confirm a call: nothing was done.
DECLINED_TEMPLATE = "action_declined"
# Answers to "shall I file it?": a no (any negation) wins over a yes. A message this short that names no order,
# kind or product answers whatever the intent model reads in it.
SHORT_ANSWER_CHARS = 24
_NO = re.compile(r"不|别|取消|算了|\b(?:no|nope|cancel|don'?t|do not|not now|never ?mind|stop|wait)\b", re.IGNORECASE)
_YES = re.compile(r"是的?|对的?|好的?|嗯|行|可以|确认|确定|没问题|提交|\b(?:yes|yeah|yep|sure|ok|okay|confirm(?:ed)?|"
                  r"go ahead|please do|do it|submit(?: it)?|correct|right)\b", re.IGNORECASE)


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
    llm_words: bool = False  # an LLM may word the reply (the template stays the fallback)
    confirmed: bool = False  # the customer said yes to this call (a tool that asks first runs only then)
    asks_confirmation: bool = False  # the call is stated and the customer asked to confirm; nothing runs
    corrected: dict[str, Any] = field(default_factory=dict)  # LLM arguments replaced by the customer's words
    # a retrieval answer: the template to ask back with when nothing found has enough evidence (its parameters in
    # `args`, e.g. the order just discussed)
    unsure: str | None = None
    recognised: bool = False  # a tool recognised the turn as its own (`Tool.recognises`): its plan stands as it is


@dataclass(frozen=True, slots=True)
class Turn:
    """What a handler reads: the state (with this turn's events applied), this turn's NLU, the customer's
    text, the effective intent, the slot the bot had asked for before this turn, and the empathy to show."""

    state: DialogueState
    nlu: NLUResult
    text: str
    intent: str
    pending: tuple[str, str] | None = None
    empathy: str | None = None

    def slot(self, name: str) -> Any:
        """This message's value for `name`; else the conversation's when the bot had asked for a slot last
        turn (the customer is answering it and may have given this value before)."""
        value = self.nlu.slots.get(name)
        if value is None and self.pending:
            value = self.state.slot(name)
        return value

    def recent(self, name: str) -> Any:
        """The conversation's value for `name` if it was set in the last few turns ("where is it now?")."""
        sv = self.state.slots.get(name)
        if sv is not None and self.state.turn - sv.turn <= SLOT_MEMORY_TURNS:
            return sv.value
        return None

    def call(self, tool: str, args: dict[str, Any], *, llm_words: bool = True, **kw: Any) -> Decision:
        return Decision("call_tool", self.intent, tool=tool, args=args, empathy=self.empathy,
                        llm_words=llm_words, **kw)

    def ask(self, slot: str, *, template: str) -> Decision:
        """Ask the customer for `slot`; their next message may answer just that."""
        return Decision("template", self.intent, template=template, ask_slot=slot, empathy=self.empathy)

    def say(self, template: str, *, llm_words: bool = False, **kw: Any) -> Decision:
        kw.setdefault("empathy", self.empathy)
        return Decision("template", self.intent, template=template, llm_words=llm_words, **kw)


Handler = Callable[[Turn], Decision]

# "不对，是另一个订单 KF…", "no, I meant the other one, KF…": a correction continues the previous intent.
_CORRECTION = re.compile(
    r"不对|不是这个|不是那个|另一个|另外一个|搞错|弄错|说错|写错|应该是|"
    r"\bno,? i meant\b|\bi meant\b|\bthe other (one|order)\b|\bwrong (one|order)\b|\bnot that one\b|\bactually\b",
    re.IGNORECASE,
)
# Intents whose reading of a message that carries the slot the bot asked for is just that answer.
SLOT_ANSWER_INTENTS = NO_TASK_INTENTS - {"greeting", "thanks", "goodbye"}


def effective_intent(state: DialogueState, nlu: NLUResult, text: str = "", tools: Toolbox | None = None) -> str:
    """This turn's intent, reading short answers and corrections in the light of the turns before.

    Call it on the state as it was before this turn's events: "yes" after the offer of a person is a
    request for one; a message carrying the slot the bot asked for answers it, unless it asks for another
    act or for something with side effects (a lookup reading, such as a bare order id read as "track
    order", is the answer); "no, the other one, KF…" continues the previous intent when that intent's tool
    takes the value it names.
    """
    if state.pending_action is not None and tools is not None:
        answer = confirmation_answer(state.pending_action, nlu, text, tools)
        if answer == "yes":
            return str(state.pending_action.get("intent") or nlu.intent)
        if answer == "no":
            return "deny"
    if nlu.intent == "affirm" and state.human_offered and state.handoff == "bot":
        return "human"
    if state.requested:
        pending, slot = state.requested  # `slot` may name alternatives: "phone|email"
        lookup = tools is not None and _is_lookup(tools, nlu.intent)
        if any(s in nlu.slots for s in slot.split("|")) and (nlu.intent in SLOT_ANSWER_INTENTS or lookup):
            return pending
    previous = state.intent_history[-1] if state.intent_history else None
    tool = tools.for_intent(previous) if tools is not None and previous else None
    takes = set(tool.Args.model_fields) if tool is not None else set()
    if takes & nlu.slots.keys() and (nlu.intent in ("other", "deny", "affirm") or _CORRECTION.search(text)):
        return previous  # type: ignore[return-value]
    return nlu.intent


def confirmation_answer(pending: dict[str, Any], nlu: NLUResult, text: str, tools: Toolbox) -> str | None:
    """The customer's answer to "shall I do <pending>?": `yes`, `no`, or None (they said something else, or
    changed what the call would be — another order, another kind — which is planned afresh).

    A message that is no task of its own (or the pending call's own task), or a short one naming nothing,
    answers; a no wins over a yes."""
    tool = tools.get(str(pending.get("tool")))
    words = getattr(tool, "customer_words", {}) if tool is not None else {}
    args = pending.get("args", {})
    own = getattr(tool, "confirmation_answer", None)  # a tool may read an answer to its own question first
    if own is not None and (said := own(args, text)) is not None:
        return str(said)
    for arg, slot in words.items():
        if slot in nlu.slots and nlu.slots[slot] != args.get(arg):
            return None
    short = len(text) <= SHORT_ANSWER_CHARS and not nlu.slots  # "No, cancel" may read as a task; it answers
    if nlu.intent not in NO_TASK_INTENTS and nlu.intent != pending.get("intent") and not short:
        return None
    if nlu.intent == "deny" or _NO.search(text):
        return "no"
    if nlu.intent == "affirm" or _YES.search(text):
        return "yes"
    return None


def _is_lookup(tools: Toolbox, intent: str) -> bool:
    tool = tools.for_intent(intent)
    return tool is not None and not tool.side_effects


# Escalation pressure (see AffectObserved.apply_to) under which the bot may offer something unasked (a cross-sell):
# an angry turn keeps it above this for the next turn or two, a mildly anxious one not at all.
CALM_BELOW = 0.3


def may_follow_up(state: DialogueState) -> bool:
    """May the bot add something the customer did not ask for (a cross-sell after a need was met)? Only while the
    bot holds the conversation (nobody is waiting for or talking with a person), no call waits for the customer's
    yes, and the customer is not upset: their latest words are not negative and no recent anger lingers."""
    if state.handoff != "bot" or state.pending_action is not None:
        return False
    affect = state.current_affect
    if affect is not None and affect.label in NEGATIVE:
        return False
    return state.escalation_score < CALM_BELOW


def empathy_for(state: DialogueState) -> str | None:
    affect = state.current_affect
    if affect and affect.label in NEGATIVE and affect.intensity >= 0.45 and affect.turn == state.turn:
        return affect.label
    return None


# ---------------------------------------------------------------- the table of conversational intents


def _human(turn: Turn) -> Decision:
    if turn.state.handoff == "queued":
        return turn.say("handoff_already")
    return Decision("handoff", turn.intent, template="handoff_queued", handoff_reason="customer_asked",
                    empathy=turn.empathy)


def clarification(turn: Turn) -> tuple[str, dict[str, Any]]:
    """A short question back that uses the conversation so far: about the order just discussed, the product just
    shown, or else plainly what they mean."""
    order_id = turn.recent("order_id")
    if order_id:
        return "clarify_order", {"order_id": order_id}
    if turn.state.focus_products:
        return "clarify_product", {}
    return "clarify", {}


def _from_documents(turn: Turn) -> Decision:
    unsure, params = clarification(turn)
    if turn.nlu.slots.get("refers_back"):  # "how long will that take?": what "that" is, the documents cannot say
        return turn.say(unsure, args=params)
    return Decision("answer_kb", turn.intent, query=turn.text, empathy=turn.empathy, llm_words=True, unsure=unsure,
                    args=params)


def _complaint(turn: Turn) -> Decision:
    return turn.say("complaint", llm_words=True, empathy=turn.empathy or "disappointment", offer_human=True)


def _social(turn: Turn) -> Decision:
    # a greeting may be worded by the LLM; thanks and goodbye are fixed lines
    return Decision("template", turn.intent, template=turn.intent, llm_words=turn.intent == "greeting")


# A question ("what is it?", "那个呢？"): too unsure to act on, it gets a question back, not the steer-back line.
_ASKING = re.compile(r"[?？]|吗|么|呢|什么|怎么|哪|几|多少|是不是|有没有|能不能|"
                     r"^(?:how|what|which|when|where|why|who|is|are|do|does|can|could|will|would)\b", re.IGNORECASE)
# A short acknowledgement ("哦哦", "收到", "got it"): a short acknowledgement back.
ACK = re.compile(r"^(?:哦+|噢+|喔+|嗯+|额+|好的?[呀啊吧哒滴嘞]?|好滴|好嘞|行吧?|收到了?|明白了?|知道了|了解了?|懂了|"
                 r"这样啊|ok(?:ay)?|k|got it|i see|alright|all right|noted|understood|cool|fine|right)"
                 r"[\s!！。.~～,，]*(?:哦+|啊|呀|了|then|thanks)?[\s!！。.~～]*$", re.IGNORECASE)
# (a "yes" keeps its own short answer, `affirm_nothing`; "明白了" and "I see" often read as goodbyes)
ACK_INTENTS = frozenset({"other", "goodbye"})
# "东西收到了", "包裹已经到啦", "the parcel arrived": the customer reports that the goods arrived and asks nothing. The
# intent model reads such reports as whatever their words lean to (a complaint, tracking, delivery times); said calmly
# they are acknowledgements, and get one back.
RECEIVED = re.compile(
    r"^(?:亲|您好|你好)?[，,\s]*(?:东西|货|货物|快递|包裹|宝贝|商品|订单|我的?(?:东西|货|快递|包裹)?)?我?"
    r"(?:已经?|都|也|刚刚?|今天|昨天)?(?:收到|到|签收)(?:了|啦|喽|咯)+[\s!！。.~～,，]*(?:谢谢|感谢|辛苦了)?[\s!！。.~～]*$|"
    r"^(?:(?:hi|hello|ok|okay)[\s,]+)?(?:i(?:'ve| have)? )?(?:just |finally )?(?:got|received|gotten) "
    r"(?:the|my|it|them|everything)(?: (?:parcel|package|order|item|items|stuff|delivery|goods))?"
    r"[\s!.,]*(?:thanks?(?: you)?)?[\s!.]*$|"
    r"^(?:the|my) (?:parcel|package|order|item|items|delivery|stuff|goods) (?:has |have |just |finally )*"
    r"(?:arrived|came|is here|got here|was delivered)[\s!.,]*(?:thanks?(?: you)?)?[\s!.]*$",
    re.IGNORECASE,
)


# "are you there?", "how are you doing?": someone checking in gets a greeting back.
_CHECKING_IN = re.compile(r"^(?:hello|hi|hey|are you there|you there|is any(?:one|body) (?:there|here)|any(?:one|body) "
                          r"(?:there|here)|how are you(?: doing)?|how'?s it going)[\s?？!！.。]*$", re.IGNORECASE)
# What points at something the customer has in mind ("what is it?", "那个呢"): a question about it is not small talk.
_POINTING = re.compile(r"这个|那个|这款|那款|这些|那些|它|\b(?:it|this|that|these|those|they|them)\b", re.IGNORECASE)


def _out_of_scope(turn: Turn) -> Decision:
    """Out of scope or too unsure to act on. A question about something — the intent model guessed a store task but
    too unsurely, or it points at something, or the conversation has an order or product in view — gets a short
    question back (about that order or product, when there is one; a guessed task is first tried on the documents,
    unless the question names an order); small talk and the rest are steered back to what the store can help
    with."""
    if _CHECKING_IN.match(turn.text.strip()):
        return Decision("template", turn.intent, template="greeting", llm_words=True)
    in_view = bool(turn.recent("order_id") or turn.state.focus_products)
    guessed = turn.nlu.fine_intent not in (None, "other")
    pointing = bool(_POINTING.search(turn.text))
    if (guessed or pointing or in_view) and _ASKING.search(turn.text):
        # a question naming one of the customer's orders is about that order, which the documents cannot answer
        names_order = "order_id" in turn.nlu.slots
        if guessed and not pointing and not names_order and "attribute" not in turn.nlu.slots:
            return _from_documents(turn)  # the documents may answer it: only with enough evidence, else ask back
        key, params = clarification(turn)
        return turn.say(key, args=params, offer_human=bool(turn.empathy))
    return turn.say(STEER_TEMPLATE, llm_words=True, offer_human=bool(turn.empathy))


HANDLERS: dict[str, Handler] = {
    "human": _human,
    "policy_question": _from_documents,
    "complaint": _complaint,
    "greeting": _social,
    "thanks": _social,
    "goodbye": _social,
    "affirm": lambda turn: Decision("template", turn.intent, template="affirm_nothing"),
    "deny": lambda turn: Decision("template", turn.intent, template="deny_nothing"),
}
assert set(HANDLERS) >= SOCIAL_INTENTS, "every social act needs a handler"
# Intents a registered tool takes over when there is one; until then the documents answer them ("有什么优惠"
# gets the customer's offers from the offers tool, else the coupon rules).
UNSERVED: dict[str, Handler] = {"coupon_question": _from_documents}


# What a message naming an order with a wrong number of digits is taken to ask (`order_id_bad`): a task on that order,
# or too unsure to say (a policy question or a product search keeps its own path).
_ORDER_TASKS = frozenset({"order_status", "return_request", "other"})


def decide(turn: Turn, tools: Toolbox | None = None) -> Decision:
    """The action for this turn; `turn.state` already holds this turn's events."""
    state, intent = turn.state, turn.intent
    if state.handoff == "operator":
        return Decision("silent", intent)
    angry_now = bool(state.current_affect and state.current_affect.label == "anger" and turn.empathy)
    keep = bool(state.customer_profile and state.customer_profile.get("keep"))
    if angry_now and state.escalation_score >= (ESCALATE_AT_KEEP if keep else ESCALATE_AT) and state.handoff == "bot":
        reason = "anger_persists" if state.escalation_score >= ESCALATE_AT else "anger_customer_at_risk"
        return Decision("handoff", intent, template="handoff_anger", handoff_reason=reason, empathy=turn.empathy)
    pending = state.pending_action
    if pending is not None and tools is not None:
        answer = confirmation_answer(pending, turn.nlu, turn.text, tools)
        if answer == "yes":
            return Decision("call_tool", str(pending.get("intent") or intent), tool=str(pending["tool"]),
                            args=dict(pending.get("args", {})), empathy=turn.empathy,
                            proposed_by=str(pending.get("proposed_by", "policy")),
                            llm_words=bool(pending.get("llm_words", True)), confirmed=True)
        if answer == "no":
            return turn.say(DECLINED_TEMPLATE, tool=str(pending["tool"]))
    if state.handoff == "queued" and intent in ("other", "greeting", "affirm"):
        return turn.say("handoff_already", llm_words=intent != "affirm")
    upset = intent == "human" or (intent in PERSON_INTENTS and turn.empathy is not None)
    if tools is not None and not upset:  # (a calm "complaint" is often a misread question: "what colour is it?")
        claimant = tools.recognising(turn)  # a tool that knows this turn for its own (a bare listing number)
        if claimant is not None:
            return replace(claimant.plan(turn), recognised=True)  # type: ignore[attr-defined]
    if intent in ACK_INTENTS and ACK.match(turn.text.strip()) and not state.human_offered:
        return Decision("template", intent, template="ack")
    reported = RECEIVED.match(turn.text.strip()) and intent not in ("human", "thanks")
    if reported and turn.empathy is None and not state.human_offered:
        return Decision("template", intent, template="ack")
    heard = turn.nlu.slots.get("bad_order_id")
    if heard and intent in _ORDER_TASKS:
        # an order named with a wrong number of digits: say so and ask for it again (not "which order?" as if
        # none had been named, nor the order discussed before, nor a product search on the words around it)
        # (unsure what about it: the number they give next is looked up)
        return Decision("template", "order_status" if intent == "other" else intent, template="order_id_bad",
                        args={"heard": heard}, ask_slot="order_id", empathy=turn.empathy)
    handler = HANDLERS.get(intent)
    if handler is not None:
        return handler(turn)
    tool = tools.for_turn(intent, turn.text) if tools is not None else None
    if tool is not None:
        return tool.plan(turn)  # type: ignore[attr-defined]
    if intent in UNSERVED:
        return UNSERVED[intent](turn)
    return _out_of_scope(turn)
