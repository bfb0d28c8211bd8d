"""Fit a conversation into the model's context window by approximate token counts.

Counting with the real tokenizer would mean loading it in every process; a CJK character is about one
token and other text about four characters a token for Qwen-style BPE vocabularies, which is close
enough to leave head-room for the reply.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from agent.language import wide_count
from agent.protocols import ChatMessage

MESSAGE_OVERHEAD = 4  # role markers and separators of a chat template, per message


def approx_tokens(text: str) -> int:
    """≈ tokens: one per CJK character (and full-width punctuation), one per ~4 other characters."""
    cjk = wide_count(text)
    return cjk + math.ceil((len(text) - cjk) / 4)


def message_tokens(message: ChatMessage) -> int:
    calls = sum(approx_tokens(c.name) + approx_tokens(str(c.arguments)) for c in message.tool_calls)
    return approx_tokens(message.content) + calls + MESSAGE_OVERHEAD


def _truncate_head(text: str, budget: int) -> str:
    """The end of `text` within `budget` tokens (the latest words of a long message matter most)."""
    if budget <= 0:
        return ""
    lo, hi = 0, len(text)
    while lo < hi:  # smallest start index whose tail fits
        mid = (lo + hi) // 2
        if approx_tokens(text[mid:]) <= budget:
            hi = mid
        else:
            lo = mid + 1
    return ("…" + text[lo + 1:]) if lo > 0 else text


def trim_messages(messages: Sequence[ChatMessage], max_tokens: int) -> list[ChatMessage]:
    """Keep the leading system messages and as many of the latest turns as fit in `max_tokens`.

    Older turns go first. A `tool` message is never kept without the assistant message that asked
    for it. If the newest message alone is too long, its beginning is cut.
    """
    head: list[ChatMessage] = []
    for m in messages:
        if m.role != "system":
            break
        head.append(m)
    body = list(messages[len(head):])
    budget = max_tokens - sum(message_tokens(m) for m in head)
    kept: list[ChatMessage] = []
    for m in reversed(body):
        cost = message_tokens(m)
        if cost > budget:
            if not kept:  # the newest message must go in, shortened
                kept.append(replace(m, content=_truncate_head(m.content, budget - MESSAGE_OVERHEAD)))
            break
        kept.append(m)
        budget -= cost
    kept.reverse()
    while kept and kept[0].role in ("tool", "assistant") and len(kept) > 1:
        kept.pop(0)  # a conversation shown to a model starts with a user turn, never a dangling reply
    return head + kept
