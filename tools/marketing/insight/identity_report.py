"""The identity graph as plain dicts (the API and `kefu identity groups --json`) and as text lines (the CLI).
Values appear only masked (`SharedValue.shown`); the normalised keys never leave the graph."""

from __future__ import annotations

import unicodedata
from typing import Any

from tools.marketing.insight.identity_graph import IdentityGraph, LinkedGroup, SharedValue


def value_dict(value: SharedValue) -> dict[str, Any]:
    return {"kind": value.kind, "value": value.shown, "accounts": list(value.accounts)}


def group_dict(group: LinkedGroup) -> dict[str, Any]:
    return {"group_id": group.group_id, "accounts": list(group.accounts), "kinds": list(group.kinds),
            "evidence": [value_dict(v) for v in group.evidence],
            "links": [{"a": link.a, "b": link.b, "kinds": list(link.kinds),
                       "evidence": [value_dict(v) for v in link.evidence]} for link in group.links]}


def graph_dict(graph: IdentityGraph) -> dict[str, Any]:
    return {"accounts": graph.accounts, "linked_accounts": sum(len(g.accounts) for g in graph.groups),
            "groups": [group_dict(g) for g in graph.groups], "hubs": [value_dict(h) for h in graph.hubs]}


def _pad(text: str, width: int) -> str:
    """Left-justify by display width (a CJK character takes two columns in a terminal)."""
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(1, width - shown)


def group_lines(group: LinkedGroup) -> list[str]:
    lines = [f"{group.group_id}  {len(group.accounts)} accounts: {', '.join(group.accounts)}"]
    for v in group.evidence:
        lines.append(f"  {v.kind:<8} {_pad(v.shown, 26)}{', '.join(v.accounts)}")
    return lines


def graph_lines(graph: IdentityGraph) -> list[str]:
    linked = sum(len(g.accounts) for g in graph.groups)
    lines = [f"{len(graph.groups)} linked groups, {linked} of {graph.accounts} accounts linked"]
    for g in graph.groups:
        lines += group_lines(g)
    if graph.hubs:
        lines.append(f"ignored as too common ({len(graph.hubs)} values shared by many accounts):")
        lines += [f"  {h.kind:<8} {_pad(h.shown, 26)}{len(h.accounts)} accounts" for h in graph.hubs]
    return lines
