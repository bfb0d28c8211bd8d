"""Agent assist for the operator console: suggested replies and canned responses (zh, en).

Suggestions come from templates keyed by the conversation's intent, opened with an empathy line when the
customer's affect calls for it. An LLM-written version can later fill the same `suggested_replies` shape.
Text is filled with plain replacement (not `str.format`), so braces typed into templates stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("zh", "en")
_DIR = Path(__file__).parent
MAX_SUGGESTIONS = 3


@dataclass(frozen=True, slots=True)
class CannedResponse:
    key: str
    title: str
    text: str


def _language(language: str | None) -> str:
    return language if language in LANGUAGES else "zh"


@cache
def _assist(language: str) -> dict[str, Any]:
    with (_DIR / "assist" / f"{language}.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def _canned(language: str) -> tuple[dict[str, str], ...]:
    with (_DIR / "canned" / f"{language}.yaml").open(encoding="utf-8") as fh:
        return tuple(yaml.safe_load(fh))


def _fill(text: str, operator: str) -> str:
    return text.replace("{operator}", operator)


def suggested_replies(intent: str | None, affect: str | None, language: str | None, *, operator: str) -> list[str]:
    """Up to three replies for the operator to send or edit, best first."""
    data = _assist(_language(language))
    lines = data["intents"].get(intent or "", data["intents"]["default"])
    replies = [_fill(line, operator) for line in lines[:MAX_SUGGESTIONS]]
    opening = data["opening"].get(affect or "")
    if opening and replies:
        joiner = "" if _language(language) == "zh" else " "
        replies[0] = f"{opening}{joiner}{replies[0]}"
    return replies


def canned_responses(language: str | None, *, operator: str) -> list[CannedResponse]:
    return [CannedResponse(c["key"], c["title"], _fill(c["text"], operator)) for c in _canned(_language(language))]


def assist_intents(language: str) -> list[str]:
    """The intents that have their own suggestions (for tests and docs)."""
    return sorted(_assist(_language(language))["intents"])
