"""The console's conversation summaries (a projection of the event log) and the assist templates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.events import (
    AffectObserved,
    BotUttered,
    ConversationStarted,
    CsatGiven,
    Event,
    HandedBack,
    HandoffRequested,
    IntentRecognized,
    OperatorJoined,
    OperatorUttered,
    UserUttered,
)
from prompts.assist import assist_intents, canned_responses, suggested_replies
from server.operators.feed import ConversationSummary, queue_order

pytestmark = pytest.mark.unit

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CID = "c" * 32


def log() -> list[Event]:
    def at(s: int) -> datetime:
        return T0 + timedelta(seconds=s)

    events: list[Event] = [
        ConversationStarted(conversation_id=CID, channel="web", customer_id="C00001", language=None, at=at(0)),
        UserUttered(conversation_id=CID, text="气死我了！！", language="zh", at=at(10)),
        AffectObserved(conversation_id=CID, label="anger", score=-0.8, intensity=0.9, at=at(10)),
        IntentRecognized(conversation_id=CID, intent="complaint", confidence=0.9, at=at(10)),
        BotUttered(conversation_id=CID, text="非常抱歉", at=at(11)),
        UserUttered(conversation_id=CID, text="转人工", language="zh", at=at(20)),
        AffectObserved(conversation_id=CID, label="neutral", score=0.0, intensity=0.1, at=at(20)),
        IntentRecognized(conversation_id=CID, intent="human", confidence=0.95, at=at(20)),
        HandoffRequested(conversation_id=CID, reason="customer_asked", at=at(21)),
        BotUttered(conversation_id=CID, text="正在为您转接", at=at(21)),
        OperatorJoined(conversation_id=CID, operator="wang", at=at(60)),
        UserUttered(conversation_id=CID, text="在吗" * 100, language="zh", at=at(70)),
        OperatorUttered(conversation_id=CID, operator="wang", text="在的", at=at(80)),
        HandedBack(conversation_id=CID, operator="wang", at=at(90)),
        CsatGiven(conversation_id=CID, score=4, at=at(95)),
    ]
    for seq, e in enumerate(events, 1):
        e.seq = seq
    return events


def replay(events: list[Event]) -> ConversationSummary:
    s = ConversationSummary(CID)
    for e in events:
        s.apply(e)
    return s


def test_waiting_time_counts_from_the_unanswered_customer_message() -> None:
    events = log()
    queued = replay(events[:10]).public(T0 + timedelta(seconds=50))
    assert queued["handoff"] == "queued" and queued["intent"] == "human" and queued["language"] == "zh"
    assert queued["waiting_since"] == (T0 + timedelta(seconds=20)).isoformat()  # the bot's "hold on" is no answer
    assert queued["waiting_seconds"] == 30 and queued["anger"] == pytest.approx(0.45)
    held = replay(events[:12]).public(T0 + timedelta(seconds=75))
    assert held["handoff"] == "operator" and held["operator"] == "wang" and held["waiting_seconds"] == 55
    assert held["last_message"]["who"] == "customer" and len(held["last_message"]["text"]) == 120
    answered = replay(events[:13]).public(T0 + timedelta(seconds=85))
    assert answered["waiting_since"] is None and answered["last_message"] == {"who": "operator", "text": "在的"}
    done = replay(events).public(T0 + timedelta(seconds=100))
    assert (done["handoff"], done["operator"], done["csat"], done["turns"]) == ("bot", None, 4, 3)


def test_summary_is_idempotent_and_incremental_equals_replay() -> None:
    events = log()
    once = replay(events)
    twice = replay(events + events[3:8])
    incremental = replay(events[:6])
    for e in events[4:]:
        incremental.apply(e)
    assert once == twice == incremental


def test_queue_order_is_anger_then_waiting() -> None:
    rows = [{"id": "a", "anger": 0.0, "waiting_seconds": 300}, {"id": "b", "anger": 0.6, "waiting_seconds": 10},
            {"id": "c", "anger": 0.0, "waiting_seconds": 900}]
    assert [r["id"] for r in sorted(rows, key=queue_order)] == ["b", "c", "a"]


def test_assist_templates_exist_in_both_languages() -> None:
    assert assist_intents("zh") == assist_intents("en")
    keys = {lang: [c.key for c in canned_responses(lang, operator="x")] for lang in ("zh", "en")}
    assert keys["zh"] == keys["en"]
    for lang in ("zh", "en"):
        for intent in [*assist_intents(lang), None, "unknown_intent"]:
            replies = suggested_replies(intent, "neutral", lang, operator="Amy")
            assert 2 <= len(replies) <= 3 and all(r and "{" not in r for r in replies)
    assert suggested_replies("complaint", "anger", "zh", operator="小王")[0].startswith("非常抱歉")
    assert "小王" in suggested_replies("human", None, "zh", operator="小王")[0]
    assert suggested_replies("other", "neutral", "fr", operator="x") == suggested_replies("other", "neutral", "zh",
                                                                                           operator="x")
