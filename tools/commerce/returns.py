"""Return requests, checked against the store's return policy before anything is recorded.

Policy (knowledge/docs/*/returns.md): no-reason returns within 7 days of delivery for returnable
categories; quality returns within 15 days for any item; only delivered orders; one return per line.

A return is filed only on the customer's confirmation: once the order, the kind and the reason are known,
the bot states exactly what it will file (order, kind, items, refund, reason; checked against the policy
already, nothing recorded) and asks; the customer's "yes" in their next turn files it (`ReturnRequested`).
An LLM's `kind`/`category` must agree with what the customer said (`customer_words`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from agent.events import Event
from agent.policy import Decision, Turn
from agent.protocols import Need, Phrasebook, ToolContext, ToolError, ToolReply, ToolResult
from agent.tooling import BaseTool
from tools.commerce.orders import ORDER_ID_PATTERN, CheckedOrders, owned_order
from tools.commerce.ports import OrderLineView, OrderRepository, OrderView, ReturnView

NO_REASON_DAYS = 7
QUALITY_DAYS = 15
REASON_SHOWN_CHARS = 40  # the customer's reason, as quoted back in the confirmation


@dataclass(kw_only=True, slots=True)
class ReturnRequested(Event):
    """A return was filed (after the customer confirmed it): what licenses "your return request is submitted"
    in a reply — and nothing more (not "your refund is approved")."""

    type: ClassVar[str] = "return_requested"
    return_id: str
    order_id: str
    kind: str
    category: str | None = None
    refund_amount: str = "0.00"


class ReturnRequestTool(BaseTool):
    """Start a return for a delivered order after checking the window and item eligibility."""

    name: ClassVar[str] = "request_return"
    description: ClassVar[str] = (
        "Request a return and refund for items of a delivered order. kind is 'no_reason' (7-day no-reason "
        "return) or 'quality' (defect, within 15 days). Optionally restrict to a product category."
    )
    purpose: ClassVar[dict[str, str]] = {"zh": "申请退货", "en": "start a return"}
    intents: ClassVar[tuple[str, ...]] = ("return_request",)
    side_effects: ClassVar[bool] = True  # records a return: an LLM may propose it only when the customer asked
    confirm: ClassVar[bool] = True  # filed only on the customer's yes to the stated return
    customer_words: ClassVar[dict[str, str]] = {"order_id": "order_id", "kind": "return_kind", "category": "category"}

    class Args(BaseModel):
        order_id: str = Field(pattern=ORDER_ID_PATTERN)
        kind: Literal["no_reason", "quality"] = "no_reason"
        reason: str = Field(default="", max_length=500)
        category: str | None = Field(default=None, max_length=64)

    def __init__(self, repo: OrderRepository) -> None:
        self._repo = repo
        self._checked = CheckedOrders()  # for the preview (filing a return reads the order afresh, in its write)

    async def authorize(self, args: BaseModel, ctx: ToolContext) -> None:
        """Refuse (ToolError) an order that is not the customer's, before anything runs."""
        order = await asyncio.to_thread(owned_order, self._repo, args.order_id, ctx)  # type: ignore[attr-defined]
        self._checked.keep(ctx, order)

    async def __call__(self, args: BaseModel, ctx: ToolContext) -> ToolResult:
        assert isinstance(args, self.Args)
        return await asyncio.to_thread(self._run, args, ctx)

    async def preview(self, args: BaseModel, ctx: ToolContext) -> ToolResult:
        """The return as it would be filed (items, refund), checked against the policy; nothing recorded."""
        assert isinstance(args, self.Args)
        return await asyncio.to_thread(self._preview, args, ctx)

    def _preview(self, args: Args, ctx: ToolContext) -> ToolResult:
        order = self._checked.take(ctx, args.order_id) or owned_order(self._repo, args.order_id, ctx)
        lines = eligible_lines(order, args, ctx)
        refund = sum((line.unit_price * line.quantity for line in lines), Decimal("0.00"))
        return ToolResult(data={"order_id": order.order_id, "kind": args.kind, "reason": args.reason,
                                "category": args.category, "refund_amount": f"{refund:.2f}",
                                "items_zh": [line.name_zh for line in lines],
                                "items_en": [line.name_en for line in lines]})

    def confirmation(self, preview: ToolResult, language: str, say: Phrasebook) -> ToolReply:
        data = preview.data
        kind_name = say.render(f"return_kind_{data['kind']}", language)
        reason = " ".join(str(data.get("reason") or "").split())
        if len(reason) > REASON_SHOWN_CHARS:
            reason = reason[: REASON_SHOWN_CHARS - 1] + "…"
        return ToolReply(say.render("return_confirm", language, order_id=data["order_id"], kind_name=kind_name,
                                    items=say.items(data.get(f"items_{language}", []), language),
                                    refund=data["refund_amount"], reason=reason or kind_name),
                         list(say.term("quick_replies.confirm", language)))

    def _run(self, args: Args, ctx: ToolContext) -> ToolResult:
        self._checked.take(ctx, args.order_id)  # a return is filed against the order as it is now: read it again
        order = owned_order(self._repo, args.order_id, ctx)
        filed = next((r for r in order.returns if ctx.key is not None and r.request_key == ctx.key), None)
        if filed is not None:  # a retried turn completing its recorded call: the return it filed, not a second one
            lines = [line for line in order.lines if line.line_id in filed.line_ids]
            return self._filed(filed, order, lines, args, ctx)
        lines = eligible_lines(order, args, ctx)
        refund = sum((line.unit_price * line.quantity for line in lines), Decimal("0.00"))
        created = self._repo.create_return(
            order_id=order.order_id,
            line_ids=[line.line_id for line in lines],
            kind=args.kind,
            reason=args.reason or args.kind,
            refund_amount=refund,
            now=ctx.now,
            key=ctx.key,
        )
        return self._filed(created, order, lines, args, ctx)

    def _filed(self, created: ReturnView, order: OrderView, lines: list[OrderLineView], args: Args,
               ctx: ToolContext) -> ToolResult:
        refund = created.refund_amount
        return ToolResult(
            data={
                "return_id": created.return_id,
                "order_id": order.order_id,
                "kind": args.kind,
                "refund_amount": f"{refund:.2f}",
                "items_zh": [line.name_zh for line in lines],
                "items_en": [line.name_en for line in lines],
            },
            events=[ReturnRequested(conversation_id=ctx.conversation_id, return_id=created.return_id,
                                    order_id=order.order_id, kind=args.kind, category=args.category,
                                    refund_amount=f"{refund:.2f}")],
            # a return filed is a need met: a follow-up may build on it (a trade-in offer)
            met=Need(f"return:{created.return_id}", self.name, tuple(dict.fromkeys(ln.product_id for ln in lines))),
        )

    def plan(self, turn: Turn) -> Decision:
        """The order named now (or, when answering the bot's question or correcting the return it stated, in
        the last few turns) with the kind and reason the customer gave; without an order, list their recent
        orders and ask which. The pipeline states the return and asks before anything is filed."""
        answering = turn.pending or turn.state.pending_action
        order_id = turn.nlu.slots.get("order_id") or (turn.recent("order_id") if answering else None)
        if order_id is None:
            return turn.call("order_status", {}, template="ask_return_order", ask_slot="order_id")
        args: dict[str, Any] = {"order_id": order_id, "kind": turn.state.slot("return_kind") or "no_reason"}
        if turn.state.slot("reason"):
            args["reason"] = str(turn.state.slot("reason"))[:500]
        if turn.nlu.slots.get("category"):
            args["category"] = turn.nlu.slots["category"]
        return turn.call(self.name, args)

    def reply(self, result: ToolResult, decision: Decision, language: str, say: Phrasebook) -> ToolReply:
        data = result.data
        note = "return_shipping_store" if data["kind"] == "quality" else "return_shipping_customer"
        return ToolReply(say.render("return_created", language, return_id=data["return_id"],
                                    order_id=data["order_id"], items=say.items(data.get(f"items_{language}", []),
                                                                               language),
                                    refund=data["refund_amount"], shipping_note=say.render(note, language)))

    def explain(self, error: ToolError, language: str, say: Phrasebook) -> str:
        """Why the return cannot be made, with the dates, items or earlier return that decide it."""
        p, lang, code = dict(error.params), language, error.code
        if code == "return_window_expired":
            kind = p.get("kind", "no_reason")
            return say.render(code, lang, order_id=p["order_id"],
                              delivered=say.date(p["delivered"], lang, with_time=False), days=p["days"],
                              elapsed=p["elapsed"], kind_name=say.render(f"return_kind_{kind}", lang),
                              alternative=say.render("return_alt_warranty", lang))
        if code == "return_not_delivered":
            return say.render(code, lang, order_id=p["order_id"], status=say.term(f"status.{p['status']}", lang))
        if code == "return_items_excluded":
            return say.render(code, lang, order_id=p["order_id"], items=say.items(p.get(f"items_{lang}", []), lang))
        if code == "return_already_requested":
            return say.render(code, lang, order_id=p["order_id"], return_id=p["return_id"],
                              status=say.term(f"return_status.{p['status']}", lang))
        return super().explain(error, language, say)


def eligible_lines(order: OrderView, args: ReturnRequestTool.Args, ctx: ToolContext) -> list[OrderLineView]:
    """Lines that may be returned now, or a ToolError that says why none can."""
    shipment = order.shipment
    if order.status != "delivered" or shipment is None or shipment.delivered_at is None:
        raise ToolError("return_not_delivered", "The order has not been delivered.",
                        order_id=order.order_id, status=order.status)
    limit = NO_REASON_DAYS if args.kind == "no_reason" else QUALITY_DAYS
    elapsed = (ctx.now.date() - shipment.delivered_at.date()).days
    if elapsed > limit:
        raise ToolError("return_window_expired", f"Delivered {elapsed} days ago; the limit is {limit} days.",
                        order_id=order.order_id, delivered=shipment.delivered_at.isoformat(), days=limit,
                        elapsed=elapsed, kind=args.kind)
    already = {lid for r in order.returns if r.status != "rejected" for lid in r.line_ids}
    lines = [line for line in order.lines if line.line_id not in already]
    if args.category:
        matching = [line for line in lines if line.category == args.category]
        lines = matching or lines
    if not lines:
        previous = next(r for r in order.returns if r.status != "rejected")
        raise ToolError("return_already_requested", "Every item of the order already has a return.",
                        order_id=order.order_id, return_id=previous.return_id, status=previous.status)
    if args.kind == "no_reason":
        allowed = [line for line in lines if line.returnable]
        if not allowed:
            raise ToolError("return_items_excluded", "The items are excluded from no-reason returns.",
                            order_id=order.order_id, items_zh=[x.name_zh for x in lines],
                            items_en=[x.name_en for x in lines])
        lines = allowed
    return lines
