"""The message layout that keeps the local model's KV cache useful across turns."""

from __future__ import annotations

import pytest

from agent.nlg.messages import build_turn
from agent.protocols import ChatMessage
from prompts.chat import system_prompt

pytestmark = pytest.mark.unit


def test_system_first_history_then_facts_with_the_customer_text() -> None:
    history = [ChatMessage("user", "你好"), ChatMessage("assistant", "您好！")]
    turn = build_turn("zh", "KF10000002到哪了", history=history, facts={"order_id": "KF10000002", "status": "shipped"})
    assert turn.messages[0] == ChatMessage("system", system_prompt("zh"))
    assert turn.messages[1:3] == history
    assert turn.messages[-1].role == "user" and turn.messages[-1].content.endswith("KF10000002到哪了")
    assert "已发货" in turn.messages[-1].content
    assert turn.grounding and "KF10000002" in turn.grounding[0]


def test_prefix_is_identical_from_one_turn_to_the_next() -> None:
    first = build_turn("en", "hi", facts={"status": "paid"})
    second = build_turn("en", "where is it?", history=[ChatMessage("user", "hi"), ChatMessage("assistant", "Hello")],
                        facts={"status": "shipped"})
    assert first.messages[0] == second.messages[0]
