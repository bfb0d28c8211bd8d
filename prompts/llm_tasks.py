"""Prompts for the LLM's jobs beyond wording a customer reply: refusal notes sent back to the model,
chit-chat that steers back to the store, drafts for operators, campaign copy, offer lines for customers (zh, en;
files in `llm/`).

Files are read once. Text is filled with plain replacement (not `str.format`), so braces that a customer
or a marketer typed stay as they are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("zh", "en")
_DIR = Path(__file__).parent / "llm"


def _lang(language: str | None) -> str:
    return language if language in LANGUAGES else "zh"


def _fill(template: str, **values: str) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


@cache
def _file(name: str) -> str:
    return (_DIR / name).read_text(encoding="utf-8").strip()


@cache
def _refusals(language: str) -> dict[str, str]:
    with (_DIR / "refusals.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)[language]


def refusal_note(
    language: str | None, reason: str, *, tool: str, arguments: Mapping[str, Any] | None = None, detail: str = ""
) -> str:
    """Why a proposed call was refused, written for the model (the call's tool message)."""
    notes = _refusals(_lang(language))
    line = notes.get(reason, notes["unknown_tool"])
    shown = detail or json.dumps(dict(arguments or {}), ensure_ascii=False)
    return f"{_fill(line, tool=tool, detail=shown)} {notes['closing']}"


_MOOD = {
    "zh": "顾客情绪不好（{mood}）：先真诚地表示理解。",
    "en": " The customer is upset ({mood}): acknowledge it first.",
}


def chitchat_turn(language: str | None, text: str, *, mood: str | None = None) -> str:
    """The user message for an out-of-scope turn: the steer-back instructions, then the customer's words."""
    lang = _lang(language)
    note = _fill(_MOOD[lang], mood=mood) if mood else ""
    return _fill(_file(f"chitchat.{lang}.md"), mood=note, text=text.strip())


@cache
def _steer_words(language: str) -> tuple[str, ...]:
    with (_DIR / "steer.yaml").open(encoding="utf-8") as fh:
        return tuple(yaml.safe_load(fh)[language])


def steers_back(text: str, language: str | None) -> bool:
    """Does an out-of-scope reply bring the customer back to what the store helps with?"""
    lowered = text.lower()
    return any(w in lowered for w in _steer_words(_lang(language)))


def steer_line(language: str | None) -> str:
    """The sentence added to an out-of-scope reply that did not steer back by itself."""
    with (_DIR / "steer.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)["line"][_lang(language)]


def assist_prompt(language: str | None) -> str:
    """System prompt for drafting operator replies (agent assist)."""
    return _file(f"assist.{_lang(language)}.md")


def assist_turn(language: str | None, *, transcript: str, facts: str, operator: str) -> str:
    return _fill(_file(f"assist_turn.{_lang(language)}.md"), transcript=transcript, facts=facts, operator=operator)


def campaign_prompt(language: str | None) -> str:
    """System prompt for a campaign's promotional copy."""
    return _file(f"campaign.{_lang(language)}.md")


def campaign_turn(language: str | None, *, facts: str) -> str:
    return _fill(_file(f"campaign_turn.{_lang(language)}.md"), facts=facts)


@cache
def offer_line_phrases(language: str | None) -> dict[str, Any]:
    """The angles, audiences and extra facts of offer lines (`llm/offer_line.yaml`)."""
    with (_DIR / "offer_line.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)[_lang(language)]


def offer_line_prompt(language: str | None, *, angle: str, segment: str) -> str:
    """System prompt for one customer-facing offer line from `angle` (plain | limited_time | quality) for a shopper
    of `segment` (price_sensitive | quality_sensitive | default)."""
    lang = _lang(language)
    phrases = offer_line_phrases(lang)
    return _fill(_file(f"offer_line.{lang}.md"), angle=phrases["angles"].get(angle, phrases["angles"]["plain"]),
                 audience=phrases["audiences"].get(segment, phrases["audiences"]["default"]))


def offer_line_turn(language: str | None, *, facts: str, example: str) -> str:
    """The user message: the campaign's facts and the template line (an example that states no more)."""
    return _fill(_file(f"offer_line_turn.{_lang(language)}.md"), facts=facts, example=example)


@cache
def campaign_phrases(language: str | None) -> dict[str, str]:
    """How a campaign's offer, period and scope are worded (`llm/campaign_copy.yaml`)."""
    with (_DIR / "campaign_copy.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)[_lang(language)]


def fill(template: str, **values: str) -> str:
    """Plain placeholder replacement (braces in the values stay as they are)."""
    return _fill(template, **values)


def sentiment_judge_prompt() -> str:
    """The instruction before the text whose sentiment the LLM judge weighs (one prompt for zh and en).

    The trained stage that reads the judge's answer is tied to this exact text (its hash is in the
    weights file): rewording it switches the stage off until `kefu train affect` runs again.
    """
    return _file("sentiment_judge.md")


def marketer_request_prompt(acts: tuple[str, ...], campaigns: str) -> str:
    """System prompt for reading a marketer's request the rules could not: which act, which campaign (JSON)."""
    return _fill(_file("marketer_request.md"), acts=", ".join(acts), campaigns=campaigns)
