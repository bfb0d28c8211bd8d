"""Agent assist: the LLM drafts replies for the operator holding a conversation, grounded on its facts.

The operator reads, edits and sends a draft; still, a draft that states an order id, amount, date, status
or policy figure the conversation's tool results do not hold would put a wrong fact in front of a person
in a hurry, so every draft goes through the same grounding guard as the bot's replies, and one in the
wrong language is dropped too. With fewer than two usable drafts, or no LLM, or an LLM that fails or
overruns the time budget, the template suggestions (`prompts.assist`) answer, and `source`/`fallback`
say which path did. Never raises for an LLM failure.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from agent.events import BotUttered, Event, OperatorUttered, ToolReturned, UserUttered
from agent.language import written_in
from agent.llm.fallback import complete_within
from agent.nlg.grounding import check_grounded
from agent.proposals import mentioned_orders
from agent.protocols import LLM, ChatMessage
from agent.state import DialogueState
from prompts.assist import MAX_SUGGESTIONS, suggested_replies
from prompts.chat import render_facts
from prompts.llm_tasks import assist_prompt, assist_turn

log = logging.getLogger(__name__)

ASSIST_BUDGET_S = 12.0  # an operator waits for drafts; past this the templates answer
MIN_DRAFTS = 2
TRANSCRIPT_LINES = 10
LINE_CHARS = 300
FACT_RESULTS = 3  # the latest successful tool results the drafts may use
_SPEAKERS = {
    "zh": {"user": "顾客", "bot": "机器人客服", "operator": "人工客服"},
    "en": {"user": "Customer", "bot": "Bot", "operator": "Operator"},
}
_NUMBERED = re.compile(r"^\s*(?:\d{1,2}\s*[.、)）:：]|[-*•])\s*(.+?)\s*$")


@dataclass(frozen=True, slots=True)
class AssistDrafts:
    suggestions: list[str]
    source: Literal["llm", "template"]
    fallback: str | None = None  # why the templates answered: disabled | llm_<reason> | guard | language | empty
    rejected: list[str] = field(default_factory=list)  # LLM drafts the guard or the language check dropped


def conversation_facts(events: Sequence[Event]) -> list[dict[str, Any]]:
    """The latest successful tool results (what the drafts may state), oldest first."""
    results = [e.data for e in events if isinstance(e, ToolReturned) and e.ok and e.data]
    return results[-FACT_RESULTS:]


def transcript(events: Sequence[Event], language: str) -> str:
    names = _SPEAKERS.get(language, _SPEAKERS["zh"])
    lines: list[str] = []
    for e in events:
        if isinstance(e, UserUttered):
            who = names["user"]
        elif isinstance(e, BotUttered) and e.text:
            who = names["bot"]
        elif isinstance(e, OperatorUttered):
            who = names["operator"]
        else:
            continue
        text = " ".join(e.text.split())
        lines.append(f"{who}: {text[:LINE_CHARS]}")
    return "\n".join(lines[-TRANSCRIPT_LINES:]) or "-"


def parse_drafts(text: str) -> list[str]:
    """Numbered (or bulleted) lines; plain lines when the model numbered nothing. Quotes stripped."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    numbered = [m.group(1) for ln in lines if (m := _NUMBERED.match(ln))]
    drafts = numbered or [ln.strip() for ln in lines]
    out: list[str] = []
    for d in drafts:
        d = d.strip().strip("\"“”「」'")
        if d and d not in out:
            out.append(d)
    return out


async def draft_operator_replies(
    llm: LLM | None,
    state: DialogueState,
    events: Sequence[Event],
    *,
    operator: str,
    tz: str = "Asia/Shanghai",
    budget_s: float = ASSIST_BUDGET_S,
) -> AssistDrafts:
    """Two or three drafts in the customer's language, best first, or the template suggestions."""
    language = state.language if state.language in ("zh", "en") else "zh"
    affect = state.current_affect.label if state.current_affect else None

    def templates(reason: str, rejected: list[str] | None = None) -> AssistDrafts:
        texts = suggested_replies(state.intent, affect, language, operator=operator)
        return AssistDrafts(texts, "template", reason, rejected or [])

    if llm is None:
        return templates("disabled")
    facts = conversation_facts(events)
    block = render_facts(language, facts, tz=tz)
    said = [e.text for e in events if isinstance(e, UserUttered)]
    grounding = [
        block,
        *(json.dumps(f, ensure_ascii=False, default=str) for f in facts),
        *(e.text for e in events if isinstance(e, BotUttered)),
        " ".join(sorted(mentioned_orders(said))),
    ]
    messages = [
        ChatMessage("system", assist_prompt(language)),
        ChatMessage(
            "user", assist_turn(language, transcript=transcript(events, language), facts=block, operator=operator)
        ),
    ]
    response = await complete_within(llm, messages, max_tokens=240, budget_s=budget_s)
    if isinstance(response, str):
        return templates(response)
    kept: list[str] = []
    rejected: list[str] = []
    reasons: list[str] = []
    for draft in parse_drafts(response.text):
        if not written_in(draft, language):
            rejected.append(draft)
            reasons.append("language")
        elif not check_grounded(draft, grounding, tz=tz).ok:
            rejected.append(draft)
            reasons.append("guard")
        else:
            kept.append(draft)
    if len(kept) < MIN_DRAFTS:
        log.info("assist drafts: %d usable of %d; template suggestions used", len(kept), len(kept) + len(rejected))
        return templates(reasons[0] if reasons else "empty", rejected)
    return AssistDrafts(kept[:MAX_SUGGESTIONS], "llm", None, rejected)
