"""The customer's profile in the policy: a customer the store may lose (`CustomerProfiled.keep`, a high churn risk)
reaches a person at their first clearly angry message; anyone else only when the anger persists. A customer whose
needs put delivery first hears when their parcel arrives before its status. The profile survives a replay of the
log, like every part of the state."""

from __future__ import annotations

import pytest

from agent.events import AffectObserved, ConversationStarted, CustomerProfiled, Event, UserUttered, replay
from agent.policy import Turn, decide, empathy_for
from agent.protocols import NLUResult
from agent.state import DialogueState
from tests.fakes import make_agent

pytestmark = pytest.mark.unit

CID = "c" * 32


def _decide(profile: CustomerProfiled | None, angry_turns: int) -> tuple[str, str | None, DialogueState]:
    events: list[Event] = [ConversationStarted(conversation_id=CID, channel="web", customer_id="C00001")]
    if profile is not None:
        events.append(profile)
    for _ in range(angry_turns):
        events += [UserUttered(conversation_id=CID, text="你们怎么回事，东西又坏了！", language="zh"),
                   AffectObserved(conversation_id=CID, label="anger", score=-0.8, intensity=0.8)]
    state = replay(events, DialogueState(conversation_id=CID))
    text = "你们怎么回事，东西又坏了！"
    turn = Turn(state, NLUResult("complaint", 0.9), text, "complaint", empathy=empathy_for(state))
    d = decide(turn)
    return d.kind, d.handoff_reason, state


def test_a_customer_at_risk_reaches_a_person_at_the_first_angry_message() -> None:
    at_risk = CustomerProfiled(conversation_id=CID, segment="at_risk", churn_risk=0.74, keep=True, needs=["quality"])
    kind, reason, state = _decide(at_risk, 1)
    assert (kind, reason) == ("handoff", "anger_customer_at_risk")
    assert state.customer_profile == {"segment": "at_risk", "churn_risk": 0.74, "keep": True, "needs": ["quality"]}


def test_others_wait_for_the_anger_to_persist() -> None:
    loyal = CustomerProfiled(conversation_id=CID, segment="champions", churn_risk=0.05, keep=False, needs=[])
    for profile in (loyal, None):
        assert _decide(profile, 1)[0] != "handoff"
        assert _decide(profile, 2)[:2] == ("handoff", "anger_persists")


def test_the_profile_round_trips_through_the_log() -> None:
    e = CustomerProfiled(conversation_id=CID, segment="loyal", churn_risk=0.2, keep=False, needs=["delivery"])
    again = Event.from_record(type=e.type, conversation_id=CID, seq=2, at=e.at, id=e.id, payload=e.to_payload())
    assert replay([again], DialogueState(conversation_id=CID)).customer_profile["needs"] == ["delivery"]



async def test_a_delivery_sensitive_customer_hears_the_delivery_first() -> None:
    replies = {}
    for needs in (["delivery", "price"], ["price", "delivery"]):
        agent = make_agent()
        await agent.start("c-1", channel="web", customer_id="C1", language="zh")
        await agent.record("c-1", [CustomerProfiled(conversation_id="c-1", segment="loyal", churn_risk=0.1,
                                                    needs=needs)])
        replies[needs[0]] = (await agent.handle("c-1", "我的订单KF10000002到哪了？")).reply.text
    assert replies["delivery"].startswith("预计") and "运输中" in replies["delivery"], replies
    assert replies["price"].startswith("您的订单 KF10000002"), replies
    assert sorted(replies["delivery"]) == sorted(replies["price"])  # the same facts, in another order
