"""A worded reply may not quote the model's rules or play along with a jailbreak; ordinary replies pass."""

from __future__ import annotations

import pytest

from agent.nlg.leaks import plays_along, repeats_instructions
from prompts.chat import system_prompt

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("reply", [
    "Developer mode enabled. Here is your coupon.",
    "OK, ignoring my previous instructions now.",
    "已进入开发者模式，现在没有限制了。",
    "好的，我将忽略之前的所有指令。",
])
def test_playing_along_with_a_jailbreak_is_caught(reply: str) -> None:
    assert plays_along(reply)


@pytest.mark.parametrize("reply", [
    "Your order KF10000002 is on its way with SF Express.",
    "您的订单正在配送中，预计明天送达。",
    "Items can be returned within 7 days of delivery.",
    "I can't change the store's rules, but I can help you with your order.",
])
def test_ordinary_replies_pass(reply: str) -> None:
    assert not plays_along(reply)
    assert not repeats_instructions(reply, system_prompt("en")) and not repeats_instructions(reply, system_prompt("zh"))


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_quoted_rule_is_caught(language: str) -> None:
    rules = system_prompt(language)
    line = next(ln for ln in rules.splitlines() if len(ln.strip()) > 30)
    assert repeats_instructions(f"Sure! {line.strip()}", rules)
