"""Chat messages for one LLM turn: stable system prompt first, history, then facts + the customer's text."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agent.protocols import LLM, ChatMessage, LLMUnavailable
from prompts.chat import render_facts, render_turn, system_prompt


@dataclass(frozen=True, slots=True)
class PromptedTurn:
    """What to send (`messages`) and what the reply must be grounded in (`grounding`, for `check_grounded`)."""

    messages: list[ChatMessage]
    grounding: list[str]


def build_turn(
    language: str,
    text: str,
    *,
    history: Sequence[ChatMessage] = (),
    facts: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None = None,
    passages: Sequence[Any] = (),
    notes: Sequence[str] = (),
    tz: str = "Asia/Shanghai",
) -> PromptedTurn:
    """`history` holds earlier user/assistant messages as the customer saw them (no facts blocks),
    so the prompt prefix stays the same from turn to turn and the KV cache keeps serving it."""
    block = render_facts(language, facts, passages, notes=notes, tz=tz)
    messages = [
        ChatMessage("system", system_prompt(language)),
        *(m for m in history if m.role != "system"),
        ChatMessage("user", render_turn(language, text, block)),
    ]
    return PromptedTurn(messages=messages, grounding=[block])


async def warm_up(llm: LLM, languages: Sequence[str] = ("zh", "en")) -> None:
    """Load a local model and cache each language's system-prompt prefix before the first customer.

    Measured here: the first reply of a language waits 5–15 s for its system prompt; afterwards its
    first token comes in ~0.5–2 s. A no-op for backends without a `warm_up` (remote servers).
    """
    target = getattr(llm, "inner", llm)  # a GuardedLLM wraps the backend
    warm = getattr(target, "warm_up", None)
    if warm is None:
        return
    for language in languages:
        try:
            await warm(build_turn(language, "你好" if language == "zh" else "Hi").messages)
        except (LLMUnavailable, OSError, RuntimeError, ValueError) as exc:
            raise LLMUnavailable("error", f"warm-up failed: {exc}") from exc
