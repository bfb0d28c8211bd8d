"""Campaign copy for marketers through the LLM interface: zh and en promotional text from a campaign's record.

The record (name, dates, offer rules, categories) is worded into a facts block per language; the LLM writes
the copy from it, and the grounding guard checks every amount, percentage, discount and date of the copy
against the record, so a model cannot promise ¥50 off where the campaign gives ¥30, or a later end date.
Copy that fails the guard, is in the wrong language or too long, or an LLM that is absent, fails or runs
out of time, gives the template copy (`prompts/llm/campaign_copy.yaml`); each language records its path.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from agent.language import written_in
from agent.llm.fallback import complete_within
from agent.nlg.grounding import check_grounded
from agent.protocols import LLM, ChatMessage
from prompts.llm_tasks import campaign_phrases, campaign_prompt, campaign_turn, fill

log = logging.getLogger(__name__)

COPY_BUDGET_S = 40.0  # both languages together; a marketer waits for a draft, not a customer
MAX_CHARS = {"zh": 160, "en": 400}
LANGUAGES: tuple[Literal["zh", "en"], ...] = ("zh", "en")
MEMBER_TIERS = ("regular", "silver", "gold", "platinum")


@dataclass(frozen=True, slots=True)
class CampaignFacts:
    """What the copy may say: the campaign's record, with its categories' display names."""

    id: str
    name_zh: str
    name_en: str
    starts_at: datetime
    ends_at: datetime
    rules: Mapping[str, Any]
    categories: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # key -> (zh, en) name
    segments: Sequence[str] = ()  # who it is for: new_customer, returning, or membership tiers (empty: everyone)


@dataclass(frozen=True, slots=True)
class CopyDraft:
    language: str
    text: str
    source: Literal["llm", "template"]
    fallback: str | None = None  # disabled | llm_<reason> | guard | language | too_long | empty


def _num(value: Any) -> str:
    d = Decimal(str(value)).normalize()
    return format(d, "f")


def _date(value: datetime, language: str, tz: ZoneInfo) -> str:
    local = value.astimezone(tz)
    if language == "zh":
        return f"{local.year}年{local.month}月{local.day}日"
    return f"{local:%b} {local.day}, {local.year}"


def _names(keys: Sequence[str], facts: CampaignFacts, language: str) -> str:
    phrases = campaign_phrases(language)
    index = 0 if language == "zh" else 1
    return phrases["list"].join(facts.categories.get(k, (k, k))[index] for k in keys)


def offer_text(facts: CampaignFacts, language: str) -> str:
    """The offer in words: "满300元减30元，满1000元减120元" / "10% off"."""
    p = campaign_phrases(language)
    rules = facts.rules
    kind = rules.get("type")
    parts: list[str] = []
    if kind == "threshold":
        parts = [
            fill(p["threshold"], min_spend=_num(t["min_spend"]), discount=_num(t["discount"]))
            for t in rules.get("tiers", [])
        ]
    elif kind == "coupon":
        parts = [fill(p["coupon"], min_spend=_num(rules.get("min_spend", 0)), discount=_num(rules["discount"]))]
    elif kind == "percent_off":
        pct = Decimal(str(rules["percent_off"]))
        parts = [fill(p["percent_off"], percent=_num((100 - pct) / 10) if language == "zh" else _num(pct))]
        tiers = [s for s in facts.segments if s in MEMBER_TIERS] or [
            t for t in rules.get("tiers") or [] if isinstance(t, str)]  # (before migration 0005: in the rules)
        if tiers and rules.get("day_of_month"):
            parts[-1] += fill(p["members"], tiers="/".join(tiers), day=_num(rules.get("day_of_month", "")))
    text = p["joiner"].join(parts)
    if rules.get("exclude_categories"):
        text += fill(p["excludes"], categories=_names(rules["exclude_categories"], facts, language))
    return text


def scope_text(facts: CampaignFacts, language: str) -> str:
    p = campaign_phrases(language)
    keys = facts.rules.get("categories")
    return fill(p["scope"], categories=_names(keys, facts, language)) if keys else p["scope_all"]


def facts_block(facts: CampaignFacts, language: str, tz: str = "Asia/Shanghai") -> str:
    """The campaign as the model (and the guard) read it, in `language`."""
    p = campaign_phrases(language)
    zone = ZoneInfo(tz)
    name = facts.name_zh if language == "zh" else facts.name_en
    period = f"{_date(facts.starts_at, language, zone)} – {_date(facts.ends_at, language, zone)}"
    lines = [
        f"- {p['label_name']}: {name}",
        f"- {p['label_period']}: {period}",
        f"- {p['label_offer']}: {offer_text(facts, language)}",
    ]
    if facts.rules.get("categories"):
        lines.append(f"- {p['label_scope']}: {_names(facts.rules['categories'], facts, language)}")
    return "\n".join(lines)


def template_copy(facts: CampaignFacts, language: str, tz: str = "Asia/Shanghai") -> str:
    p = campaign_phrases(language)
    zone = ZoneInfo(tz)
    return fill(
        p["copy"],
        name=facts.name_zh if language == "zh" else facts.name_en,
        start=_date(facts.starts_at, language, zone),
        end=_date(facts.ends_at, language, zone),
        offer=offer_text(facts, language),
        scope=scope_text(facts, language),
    )


async def _one(llm: LLM, facts: CampaignFacts, language: str, tz: str, budget_s: float) -> CopyDraft:
    def template(reason: str) -> CopyDraft:
        return CopyDraft(language, template_copy(facts, language, tz), "template", reason)

    if budget_s <= 0:
        return template("llm_timeout")
    block = facts_block(facts, language, tz)
    messages = [
        ChatMessage("system", campaign_prompt(language)),
        ChatMessage("user", campaign_turn(language, facts=block)),
    ]
    response = await complete_within(llm, messages, max_tokens=160, budget_s=budget_s)
    if isinstance(response, str):
        return template(response)
    text = " ".join(response.text.split()).strip('"“”「」')
    if not text:
        return template("empty")
    if len(text) > MAX_CHARS[language]:
        return template("too_long")
    if not written_in(text, language):
        return template("language")
    grounding = [
        block,
        facts_block(facts, "en" if language == "zh" else "zh", tz),
        facts.starts_at.isoformat(),
        facts.ends_at.isoformat(),
    ]
    verdict = check_grounded(text, grounding, tz=tz)
    if not verdict.ok:
        log.info("campaign %s copy (%s) failed the guard: %d unsupported", facts.id, language, len(verdict.unsupported))
        return template("guard")
    return CopyDraft(language, text, "llm")


async def draft_campaign_copy(
    llm: LLM | None, facts: CampaignFacts, *, tz: str = "Asia/Shanghai", budget_s: float = COPY_BUDGET_S
) -> dict[str, CopyDraft]:
    """zh and en copy for the campaign; each language by the LLM when it is grounded, else the template."""
    if llm is None:
        return {lang: CopyDraft(lang, template_copy(facts, lang, tz), "template", "disabled") for lang in LANGUAGES}
    deadline = time.monotonic() + budget_s
    out: dict[str, CopyDraft] = {}
    for lang in LANGUAGES:  # one after the other: one local model serves one generation at a time
        out[lang] = await _one(llm, facts, lang, tz, deadline - time.monotonic())
    return out
