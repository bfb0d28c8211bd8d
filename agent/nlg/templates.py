"""Template NLG: words a decision and its outcome in the customer's language, with empathy first.

Every fact in a reply (status, ids, amounts, dates, policy text) comes from tool data or retrieved
passages, never from the template itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from agent.language import localized_name
from agent.policy import Decision
from agent.protocols import Passage, ToolError, ToolResult
from prompts import render, template

SNIPPET_CHARS = 160
ANSWER_CHARS = {"zh": 260, "en": 520}


@dataclass(slots=True)
class Reply:
    text: str
    source: str | None = "template"
    citations: list[dict[str, Any]] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)
    quick_replies: list[str] = field(default_factory=list)
    offer_human: bool = False

    def public(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "source": self.source,
            "citations": self.citations,
            "cards": self.cards,
            "quick_replies": self.quick_replies,
        }


class TemplateNLG:
    """Renders replies from `prompts/replies/<lang>.yaml`; dates shown in the store's time zone."""

    def __init__(self, tz: str = "Asia/Shanghai") -> None:
        self._tz = ZoneInfo(tz)

    def _when(self, iso: str | None, lang: str, *, with_time: bool = True) -> str:
        if not iso:
            return ""
        dt = datetime.fromisoformat(iso).astimezone(self._tz)
        if lang == "zh":
            return f"{dt.month}月{dt.day}日 {dt:%H:%M}" if with_time else f"{dt.year}年{dt.month}月{dt.day}日"
        return f"{dt:%b} {dt.day}, {dt:%H:%M}" if with_time else f"{dt:%b} {dt.day}, {dt.year}"

    def _items(self, names: list[str], lang: str) -> str:
        if not names:
            return ""
        head = names[0]
        if len(names) > 1:
            head += (" " if lang == "en" else "") + render("order_item_more", lang, count=len(names) - 1)
        return head

    def compose(
        self,
        decision: Decision,
        lang: str,
        *,
        result: ToolResult | None = None,
        error: ToolError | None = None,
        passages: list[Passage] | None = None,
    ) -> Reply:
        parts: list[str] = []
        if decision.empathy and decision.template != "handoff_anger":
            parts.append(render(f"empathy.{decision.empathy}", lang))
        reply = Reply(text="", offer_human=decision.offer_human)
        if error is not None:
            parts.append(self.tool_error(error, lang))
            reply.offer_human = reply.offer_human or bool(decision.empathy)
        elif decision.kind == "answer_kb":
            parts.append(self.kb_answer(passages or [], lang, reply))
            reply.offer_human = reply.offer_human or not passages
        elif result is not None and decision.tool == "order_status":
            if "orders" in result.data:
                key = decision.template or "ask_order_id"
                parts.append(render(key if result.data["orders"] else "ask_order_id_none", lang))
                reply.quick_replies = list(result.data["orders"])
            else:
                parts.append(self.order_status(result.data, lang))
            reply.cards = result.cards
        elif result is not None and decision.tool == "request_return":
            parts.append(self.return_created(result.data, lang))
        elif result is not None and decision.tool == "product_search":
            category = (result.cards[0]["category"] if result.cards else None) or render("products_generic", lang)
            key = "products_found" if result.cards else "products_none"
            parts.append(render(key, lang, category=category))
            reply.cards = result.cards
        elif decision.template:
            parts.append(render(decision.template, lang))
        if decision.template == "greeting" or (decision.template == "fallback"):
            reply.quick_replies = list(template("quick_replies.start", lang))
        if reply.offer_human and decision.kind != "handoff":
            if decision.template != "complaint":
                parts.append(render("offer_human", lang))
            reply.quick_replies = [template("quick_replies.human", lang), template("quick_replies.no_thanks", lang)]
        sep = "" if lang == "zh" else " "
        reply.text = sep.join(p.strip() for p in parts if p)
        return reply

    def order_status(self, data: dict[str, Any], lang: str) -> str:
        items = self._items(data.get(f"items_{lang}", []), lang)
        out = [render("order_status", lang, order_id=data["order_id"], items=items,
                      status=template(f"status.{data['status']}", lang))]
        shipment = data.get("shipment")
        if shipment:
            out.append(render("order_shipment", lang, carrier=localized_name(shipment["carrier"], lang),
                              tracking_no=shipment["tracking_no"],
                              shipment_status=template(f"shipment_status.{shipment['status']}", lang)))
            latest = shipment.get("latest_event")
            if latest:
                out.append(render("order_latest_event", lang, when=self._when(latest["at"], lang),
                                  location=latest[f"location_{lang}"],
                                  description=latest[f"description_{lang}"].rstrip("。.")))
            if shipment.get("delivered_at"):
                out.append(render("order_delivered_at", lang,
                                  delivered=self._when(shipment["delivered_at"], lang, with_time=False)))
            elif shipment.get("eta"):
                out.append(render("order_eta", lang, eta=self._when(shipment["eta"], lang, with_time=False)))
        return ("" if lang == "zh" else " ").join(out)

    def return_created(self, data: dict[str, Any], lang: str) -> str:
        note = "return_shipping_store" if data["kind"] == "quality" else "return_shipping_customer"
        return render("return_created", lang, return_id=data["return_id"], order_id=data["order_id"],
                      items=self._items(data.get(f"items_{lang}", []), lang), refund=data["refund_amount"],
                      shipping_note=render(note, lang))

    def tool_error(self, error: ToolError, lang: str) -> str:
        p = dict(error.params)
        code = error.code
        if code == "return_window_expired":
            kind = p.get("kind", "no_reason")
            return render(code, lang, order_id=p["order_id"], delivered=self._when(p["delivered"], lang,
                          with_time=False), days=p["days"], elapsed=p["elapsed"],
                          kind_name=render(f"return_kind_{kind}", lang),
                          alternative=render("return_alt_warranty", lang))
        if code == "return_not_delivered":
            return render(code, lang, order_id=p["order_id"], status=template(f"status.{p['status']}", lang))
        if code == "return_items_excluded":
            return render(code, lang, order_id=p["order_id"], items=self._items(p.get(f"items_{lang}", []), lang))
        if code == "return_already_requested":
            return render(code, lang, order_id=p["order_id"], return_id=p["return_id"],
                          status=template(f"return_status.{p['status']}", lang))
        if code in ("order_not_found", "login_required"):
            return render(code, lang, **p)
        return render("fallback", lang)

    def kb_answer(self, passages: list[Passage], lang: str, reply: Reply) -> str:
        if not passages:
            return render("kb_no_answer", lang)
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
        return render("kb_intro", lang, title=top.title) + body


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"
