"""A worded reply must not repeat the model's instructions: a customer who asks for "your system prompt"
(or a poisoned passage that tells the model to reveal it) gets the template instead.

The check is literal: any line of the system prompt (numbering and spacing aside) whose first
`SPAN` characters appear in the reply. Nothing a customer needs to read shares such a run with the rules.
"""

from __future__ import annotations

import re

SPAN = 14  # characters: long enough that an ordinary reply never matches, short enough for a paraphrased copy

_NUMBERING = re.compile(r"^\s*(?:\d+[.、)]|[-*•])\s*")
_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip().lower()


def repeats_instructions(reply: str, system_prompt: str) -> bool:
    """Does `reply` quote a line of `system_prompt`?"""
    said = _norm(reply)
    for line in system_prompt.splitlines():
        head = _norm(_NUMBERING.sub("", line))[:SPAN]
        if len(head) == SPAN and head in said:
            return True
    return False


# A reply that plays along with a jailbreak ("Developer mode enabled", "已进入开发者模式", "ignoring my previous
# instructions") tells the customer the rules are off, whatever follows; none of a store's replies says it.
_PLAYS_ALONG = re.compile(
    r"developer mode|dev mode|jailbreak|\bDAN\b|god mode|"
    r"\bignor(?:e|ing)\b[^.!?。！？]{0,30}\b(?:instructions|rules|guidelines)\b|"
    r"开发者模式|越狱|上帝模式|(?:忽略|无视|不再遵守)[^。！？]{0,12}(?:指令|规则|限制|设定)",
    re.IGNORECASE,
)


def plays_along(reply: str) -> bool:
    """Does `reply` go along with a jailbreak (say its rules are off)?"""
    return bool(_PLAYS_ALONG.search(reply))
