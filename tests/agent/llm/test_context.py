"""Approximate token counts and trimming that keeps the system prompt and the latest turns."""

from __future__ import annotations

import pytest

from agent.llm.context import approx_tokens, message_tokens, trim_messages
from agent.protocols import ChatMessage, ToolCallProposal

pytestmark = pytest.mark.unit


def test_cjk_counts_per_character_latin_per_four() -> None:
    assert approx_tokens("你好世界") == 4
    assert approx_tokens("abcdefgh") == 2
    assert approx_tokens("订单KF10000001") == 2 + 3


def _conv(turns: int) -> list[ChatMessage]:
    msgs = [ChatMessage("system", "规则" * 50)]
    for i in range(turns):
        msgs += [ChatMessage("user", f"问题{i} " + "字" * 40), ChatMessage("assistant", f"回答{i} " + "字" * 40)]
    return [*msgs, ChatMessage("user", "最新的问题")]


def test_keeps_system_and_latest_turns_within_budget() -> None:
    msgs = _conv(20)
    trimmed = trim_messages(msgs, 400)
    assert trimmed[0] == msgs[0]
    assert trimmed[-1] == msgs[-1]
    assert sum(message_tokens(m) for m in trimmed) <= 400
    assert len(trimmed) < len(msgs)
    assert trimmed[1].role == "user"  # never starts with a dangling assistant reply
    kept = [m.content for m in trimmed[1:]]
    assert kept == [m.content for m in msgs[-len(kept):]]  # a contiguous tail


def test_everything_kept_when_it_fits() -> None:
    msgs = _conv(2)
    assert trim_messages(msgs, 10_000) == msgs


def test_too_long_newest_message_keeps_its_end() -> None:
    msgs = [ChatMessage("system", "sys"), ChatMessage("user", "开头" + "很" * 500 + "结尾的问题")]
    trimmed = trim_messages(msgs, 60)
    assert trimmed[-1].content.endswith("结尾的问题") and trimmed[-1].content.startswith("…")
    assert sum(message_tokens(m) for m in trimmed) <= 60


def test_tool_result_not_kept_without_its_call() -> None:
    msgs = [ChatMessage("system", "sys"), ChatMessage("user", "x" * 400),
            ChatMessage("assistant", "", tool_calls=(ToolCallProposal("order_status", {}, "c1"),)),
            ChatMessage("tool", "{}", tool_call_id="c1"), ChatMessage("user", "thanks")]
    trimmed = trim_messages(msgs, 30)
    assert [m.role for m in trimmed] == ["system", "user"] and trimmed[-1].content == "thanks"
