"""Template NLG: words a decision and its outcome in the customer's language, with empathy first.

Every fact in a reply (status, ids, amounts, dates, policy text) comes from tool data or retrieved
passages, never from the template itself. A tool words its own outcome (`Tool.reply`, `Tool.explain`)
through this class as its `Phrasebook`: keys are looked up in the registered tools' own templates first,
then in `prompts/replies/<lang>.yaml`; dates are shown in the store's time zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from agent.language import localized_name
from agent.policy import Decision
from agent.protocols import Acted, Passage, Reply, Tool, ToolResult
from prompts import template

SNIPPET_CHARS = 160
ANSWER_CHARS = {"zh": 260, "en": 520}
_MISSING = object()


class TemplateNLG:
    """Renders replies from templates; implements `agent.protocols.Phrasebook` for the tools."""

    def __init__(self, tz: str = "Asia/Shanghai", tools: Iterable[Tool] = ()) -> None:
        self._tz = ZoneInfo(tz)
        self._own: dict[str, dict[str, Any]] = {"zh": {}, "en": {}}
        self.add_tools(tools)

    def add_tools(self, tools: Iterable[Tool]) -> None:
        """Make the tools' own templates (`Tool.templates`) available to `render`."""
        for tool in tools:
            for lang, entries in getattr(tool, "templates", {}).items():
                own = self._own.setdefault(lang, {})
                for key, value in entries.items():
                    if own.get(key, value) != value:
                        raise ValueError(f"reply template {key!r} ({lang}) is defined twice")
                    own[key] = value

    # ------------------------------------------------------------------ Phrasebook

    def term(self, key: str, language: str) -> Any:
        node = self._lookup(self._own.get(language, {}), key)
        return template(key, language) if node is _MISSING else node

    def has(self, key: str, language: str) -> bool:
        try:
            self.term(key, language)
        except KeyError:
            return False
        return True

    def render(self, key: str, language: str, **params: Any) -> str:
        value = self.term(key, language)
        if not isinstance(value, str):
            raise TypeError(f"reply template {key!r} is not a string")
        return value.format(**params)

    def date(self, iso: str | None, language: str, *, with_time: bool = True) -> str:
        if not iso:
            return ""
        dt = datetime.fromisoformat(iso).astimezone(self._tz)
        if language == "zh":
            return f"{dt.month}月{dt.day}日 {dt:%H:%M}" if with_time else f"{dt.year}年{dt.month}月{dt.day}日"
        return f"{dt:%b} {dt.day}, {dt:%H:%M}" if with_time else f"{dt:%b} {dt.day}, {dt.year}"

    def items(self, names: Sequence[str], language: str) -> str:
        if not names:
            return ""
        head = names[0]
        if len(names) > 1:
            head += (" " if language == "en" else "") + self.render("order_item_more", language, count=len(names) - 1)
        return head

    def name(self, bilingual: str, language: str) -> str:
        return localized_name(bilingual, language)

    @staticmethod
    def _lookup(node: Any, key: str) -> Any:
        if key in node:  # tools may use dotted keys of their own ("points.done") as flat names
            return node[key]
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return _MISSING
            node = node[part]
        return node

    # ------------------------------------------------------------------ replies

    def compose(self, decision: Decision, acted: Acted) -> Reply:
        lang, tool, result, error, passages = acted.language, acted.tool, acted.result, acted.error, acted.passages
        parts: list[str] = []
        if decision.empathy and decision.template != "handoff_anger":
            parts.append(self.render(f"empathy.{decision.empathy}", lang))
        reply = Reply(text="", offer_human=decision.offer_human)
        if error is not None:
            explain = getattr(tool, "explain", None)
            parts.append(explain(error, lang, self) if explain else self.render("fallback", lang))
            reply.offer_human = reply.offer_human or bool(decision.empathy)
        elif decision.kind == "answer_kb":
            parts.append(self.kb_answer(passages or [], lang, reply))
            reply.offer_human = reply.offer_human or not passages
        elif result is not None and tool is not None:
            if decision.asks_confirmation:  # the call stated, nothing done yet
                said = tool.confirmation(result, lang, self)  # type: ignore[attr-defined]
            else:
                said = tool.reply(result, decision, lang, self)  # type: ignore[attr-defined]
            parts.append(said.text)
            reply.quick_replies = list(said.quick_replies)
            reply.cards = result.cards
            reply.citations = list(result.citations)
        elif decision.template:
            own = f"{decision.tool}.{decision.template}" if decision.tool else ""  # a tool's own wording, if any
            parts.append(self.render(own if own and self.has(own, lang) else decision.template, lang,
                                     **decision.args))
        if decision.template in ("greeting", "fallback"):
            reply.quick_replies = list(self.term("quick_replies.start", lang))
        if reply.offer_human and decision.kind != "handoff":
            if decision.template != "complaint":
                parts.append(self.render("offer_human", lang))
            reply.quick_replies = [self.term("quick_replies.human", lang), self.term("quick_replies.no_thanks", lang)]
        sep = "" if lang == "zh" else " "
        reply.text = sep.join(p.strip() for p in parts if p)
        return reply

    def compose_follow_up(self, tool: Tool, result: ToolResult, language: str) -> Reply:
        """A follow-up tool's result in words (`Tool.follow_reply`), with its cards and quick replies."""
        said = tool.follow_reply(result, language, self)  # type: ignore[attr-defined]
        return Reply(text=said.text.strip(), cards=list(result.cards), quick_replies=list(said.quick_replies))

    def kb_answer(self, passages: list[Passage], lang: str, reply: Reply) -> str:
        if not passages:
            return self.render("kb_no_answer", lang)
        top = passages[0]
        body = top.text.strip()
        limit = ANSWER_CHARS.get(lang, 400)
        if len(body) > limit:
            cut = max(body.rfind(mark, 0, limit) for mark in ("。", ". ", "；", "\n"))
            body = body[: cut + 1 if cut > limit // 3 else limit].rstrip() + ("" if cut > limit // 3 else "…")
        reply.citations = [
            {"doc": p.doc, "title": p.title, "snippet": _snippet(p.text)}
            for p in passages[:1] + [q for q in passages[1:2] if q.doc != top.doc and q.score >= top.score * 0.9]
        ]
        return self.render("kb_intro", lang, title=top.title) + body


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"
