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
