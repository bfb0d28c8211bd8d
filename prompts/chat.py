"""LLM prompts (zh, en): the stable system prompt and the per-turn facts block.

The system prompt never changes within a process, so it goes first: a local llama.cpp model then
reuses its KV cache across turns (first token ~0.5 s instead of ~5 s on two cores). What changes
every turn — tool results, retrieved passages, notes — goes into the last user message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from prompts.render import template

LANGUAGES = ("zh", "en")
_DIR = Path(__file__).parent / "llm"
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
# which reply-template group words a status code, by the key that holds it
_STATUS_GROUPS = {"": "status", "shipment": "shipment_status", "latest_event": "shipment_status",
                  "return": "return_status"}


def _lang(language: str) -> str:
    return language if language in LANGUAGES else "zh"


@cache
def system_prompt(language: str) -> str:
    """The store persona and rules; identical on every call (KV-cache reuse depends on it)."""
    return (_DIR / f"system.{_lang(language)}.md").read_text(encoding="utf-8").strip()


# how one tool is named in the routing prompt, and what joins them
_ROUTE_ITEM = {"zh": ("{purpose}用 {name}", "，"), "en": ("{name} to {purpose}", ", ")}


def route_prompt(language: str, tools: Sequence[tuple[str, str]]) -> str:
    """A short tool-routing system prompt naming each tool with its purpose (`(name, purpose)` pairs, in the
    order given): small models propose calls reliably only with a brief one."""
    lang = _lang(language)
    item, sep = _ROUTE_ITEM[lang]
    listed = sep.join(item.format(name=name, purpose=purpose) for name, purpose in tools)
    return _route_template(lang).replace("{tools}", listed)


@cache
def _route_template(language: str) -> str:
    return (_DIR / f"route.{language}.md").read_text(encoding="utf-8").strip()


@cache
def _labels(language: str) -> dict[str, str]:
    with (_DIR / "labels.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)[_lang(language)]


@cache
def _turn_template(language: str) -> str:
    return (_DIR / f"turn.{_lang(language)}.md").read_text(encoding="utf-8").strip()


def _bilingual(value: str, language: str) -> str:
    """The zh or en half of a bilingual name ("顺丰速运 SF Express")."""
    words = value.split()
    zh = [w for w in words if _CJK.search(w)]
    en = [w for w in words if not _CJK.search(w)]
    if not zh or not en:
        return value
    return "".join(zh) if language == "zh" else " ".join(en)


def _when(value: str, language: str, tz: ZoneInfo) -> str:
    """ISO date/time in the store's time zone, written the way the customer reads it."""
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if dt.tzinfo is not None:
        dt = dt.astimezone(tz)
    has_time = len(value) > 10
    if language == "zh":
        day = f"{dt.year}年{dt.month}月{dt.day}日"
        return f"{day} {dt:%H:%M}" if has_time else day
    day = f"{dt:%b} {dt.day}, {dt.year}"
    return f"{day} {dt:%H:%M}" if has_time else day


def _status(code: str, group: str, language: str) -> str:
    try:
        value = template(f"{group}.{code}", language)
    except KeyError:
        return code
    return value if isinstance(value, str) else code


def _value(key: str, value: Any, parent: str, language: str, tz: ZoneInfo) -> str:
    if isinstance(value, str):
        if key == "status":
            return _status(value, _STATUS_GROUPS.get(parent, "status"), language)
        if key == "kind":
            try:
                return str(template(f"return_kind_{value}", language))
            except KeyError:
                return value
        if _ISO.match(value):
            return _when(value, language, tz)
        return _bilingual(value, language)
    return str(value)


def _lines(data: Mapping[str, Any], language: str, tz: ZoneInfo, parent: str = "", depth: int = 0) -> list[str]:
    labels = _labels(language)
    other = "_en" if language == "zh" else "_zh"
    out: list[str] = []
    pad = "  " * depth
    for raw_key, value in data.items():
        if value is None or value == [] or raw_key.endswith(other):
            continue
        key = raw_key.removesuffix(f"_{language}")
        label = labels.get(key, key.replace("_", " "))
        if isinstance(value, Mapping):
            out.append(f"{pad}- {label}:")
            out += _lines(value, language, tz, key, depth + 1)
        elif isinstance(value, list | tuple):
            sep = "、" if language == "zh" else ", "
            out.append(f"{pad}- {label}: {sep.join(_value(key, v, parent, language, tz) for v in value)}")
        else:
            out.append(f"{pad}- {label}: {_value(key, value, parent, language, tz)}")
    return out


def _passage(p: Any) -> tuple[str, str]:
    if isinstance(p, Mapping):
        return str(p.get("title", "")), str(p.get("text", ""))
    if isinstance(p, tuple):
        return str(p[0]), str(p[1])
    return str(getattr(p, "title", "")), str(getattr(p, "text", ""))


def render_facts(
    language: str,
    facts: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None = None,
    passages: Sequence[Any] = (),
    *,
    notes: Sequence[str] = (),
    tz: str = "Asia/Shanghai",
) -> str:
    """Tool results (dicts as tools return them), retrieved passages (objects or mappings with
    `title` and `text`, or pairs) and free notes as a block the model can quote from.

    Statuses are worded as the reply templates word them and times are local, so what the model
    copies is what the customer should read (and what the grounding guard checks against).
    """
    lang = _lang(language)
    zone = ZoneInfo(tz)
    labels = _labels(lang)
    blocks: list[str] = []
    items = [facts] if isinstance(facts, Mapping) else list(facts or [])
    for item in items:
        blocks.append("\n".join(_lines(item, lang, zone)))
    for p in passages:
        title, text = _passage(p)
        blocks.append(labels["passage"].format(title=title) + ":\n" + " ".join(text.split()))
    blocks += [f"- {n}" for n in notes]
    return "\n".join(b for b in blocks if b) or labels["none"]


def render_turn(language: str, text: str, facts_block: str) -> str:
    """The last user message: this turn's facts, then what the customer wrote."""
    return _turn_template(language).format(facts=facts_block, text=text.strip())
