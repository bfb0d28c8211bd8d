"""Tool schemas for the LLM and tool-call proposals from what a model sends back.

Models propose calls two ways: natively (OpenAI `tool_calls`) or as text. Qwen2.5-Coder writes a
```json block, a bare JSON object or a `<tool_call>` tag unless the server forces a call, so text
is parsed too; only names of offered tools count, so an ordinary JSON snippet is never a call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from agent.protocols import ToolCallProposal
from agent.tooling import tool_schema

__all__ = ["normalize_tools", "parse_text_tool_calls", "tool_schema"]

_FENCE = re.compile(r"```[ \t]*(?:json|tool_call|tool|javascript|js)?[ \t]*\n?(.*?)```", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_DECODER = json.JSONDecoder()


def normalize_tools(tools: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Accept `{"type": "function", "function": {...}}` or bare `{"name", "description", "parameters"}`."""
    out: list[dict[str, Any]] = []
    for spec in tools:
        fn = spec.get("function", spec)
        if not isinstance(fn, Mapping) or not isinstance(fn.get("name"), str):
            raise ValueError(f"not a tool schema: {spec!r}")
        out.append({"type": "function", "function": {
            "name": fn["name"],
            "description": fn.get("description", ""),
            "parameters": dict(fn.get("parameters") or {"type": "object", "properties": {}}),
        }})
    return out


def tool_names(tools: Iterable[Mapping[str, Any]]) -> set[str]:
    return {t["function"]["name"] for t in normalize_tools(tools)}


def _arguments(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError:
            return None
    return dict(raw) if isinstance(raw, Mapping) else None


def proposal_from_obj(obj: Any, allowed: set[str] | None) -> ToolCallProposal | None:
    """One call from the shapes models write: {name, arguments|parameters|args}, {function: {...}}, {tool, args}."""
    if not isinstance(obj, Mapping):
        return None
    fn = obj.get("function")
    if isinstance(fn, Mapping):
        name, raw = fn.get("name"), fn.get("arguments", fn.get("parameters"))
    else:
        name = obj.get("name", obj.get("tool", fn))
        raw = next((obj[k] for k in ("arguments", "parameters", "args", "input") if k in obj), None)
    if not isinstance(name, str) or (allowed is not None and name not in allowed):
        return None
    args = _arguments(raw)
    if args is None:
        return None
    call_id = obj.get("id")
    return ToolCallProposal(name=name, arguments=args, id=call_id if isinstance(call_id, str) else None)


def _proposals(obj: Any, allowed: set[str] | None) -> list[ToolCallProposal]:
    items = obj if isinstance(obj, list) else [obj]
    if isinstance(obj, Mapping) and isinstance(obj.get("tool_calls"), list):
        items = obj["tool_calls"]
    found = [proposal_from_obj(item, allowed) for item in items]
    return [p for p in found if p is not None]


def _json_objects(text: str) -> Iterable[tuple[int, int, Any]]:
    """Every top-level JSON object or array in free text, with its span."""
    i = 0
    while True:
        starts = [j for j in (text.find("{", i), text.find("[", i)) if j >= 0]
        if not starts:
            return
        start = min(starts)
        try:
            obj, end = _DECODER.raw_decode(text, start)
        except json.JSONDecodeError:
            i = start + 1
            continue
        yield start, end, obj
        i = end


def parse_text_tool_calls(
    text: str, allowed: set[str] | None = None
) -> tuple[list[ToolCallProposal], str]:
    """Tool calls written in text (```json block, `<tool_call>` tag, bare JSON) and the text left over.

    `allowed` limits calls to offered tool names (None accepts any name; only safe in tests). A call
    of a tool that was not offered is dropped, and cut from the text too: a customer must never see
    raw call JSON.
    """
    calls: list[ToolCallProposal] = []
    seen = False

    def _calls_in(fragment: str) -> list[ToolCallProposal] | None:
        """Allowed calls in `fragment`, or None when it holds nothing call-shaped."""
        shaped = [p for _, _, obj in _json_objects(fragment) for p in _proposals(obj, None)]
        if not shaped:
            return None
        return [p for p in shaped if allowed is None or p.name in allowed]

    def _take(m: re.Match[str]) -> str:
        nonlocal seen
        found = _calls_in(m.group(1))
        if found is None:
            return m.group(0)
        seen = True
        calls.extend(found)
        return ""

    rest = text
    for pattern in (_FENCE, _TAG):
        rest = pattern.sub(_take, rest)
    if not seen:
        pieces: list[str] = []
        last = 0
        for start, end, obj in _json_objects(rest):
            if _proposals(obj, None):
                seen = True
                calls.extend(_proposals(obj, allowed))
                pieces.append(rest[last:start])
                last = end
        pieces.append(rest[last:])
        rest = "".join(pieces)
    if not seen:
        return [], text
    rest = rest.strip()
    return calls, "" if not rest.strip("{}[]`\n\t ") else rest


def merge_calls(native: Sequence[ToolCallProposal], text: str, allowed: set[str] | None) -> tuple[
        list[ToolCallProposal], str]:
    """Native calls win; otherwise look for calls written in the text."""
    if native:
        return [c for c in native if allowed is None or c.name in allowed], text
    return parse_text_tool_calls(text, allowed)
