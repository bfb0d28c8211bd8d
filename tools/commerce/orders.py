"""Order lookup and tracking, limited to the conversation's own customer.

A signed-in (verified) customer sees their own orders. An anonymous conversation sees one order only when it
gives the order's id and the phone number or email on it; anything else is answered as "not found", so an id
reveals nothing about whose it is.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from agent.policy import Decision, Turn
from agent.protocols import Need, Phrasebook, ToolContext, ToolError, ToolReply, ToolResult
from agent.tooling import BaseTool
from tools.commerce.ports import OrderRepository, OrderView

ORDER_ID_PATTERN = r"^KF\d{8}$"
CONTACT_SLOTS = ("phone", "email")
CONTACT_ASK = "|".join(CONTACT_SLOTS)  # either slot answers the question
# The reply's order for a customer whose profile (`CustomerProfiled`) puts delivery first among their needs.
DELIVERY_FIRST = "delivery_first"


def owned_order(repo: OrderRepository, order_id: str, ctx: ToolContext, contact: str | None = None) -> OrderView:
    """The order if it belongs to the conversation's customer (or, for an anonymous conversation, if `contact`
    is the phone or email on it); otherwise the same not-found error.

    Another customer's order and a non-existent one are indistinguishable to the caller, so an order
    id reveals nothing about whose it is.
    """
    order_id = order_id.upper()
    if not ctx.customer_id:
        if not contact:
            raise ToolError("login_required", "The customer is not signed in.")
        order = repo.get_order(order_id) if repo.contact_matches(order_id, contact) else None
    else:
        order = repo.get_order(order_id)
    if order is None or (ctx.customer_id and order.customer_id != ctx.customer_id):
        raise ToolError(
            "order_not_found", f"No order {order_id} for this customer.", order_id=order_id.upper()
        )
    return order


class CheckedOrders:
    """The orders a tool's `authorize` just read, for the call or preview that follows it in the same turn: one read
    of the order, not two. Taken once; a few left by turns cut short are dropped oldest first."""

    def __init__(self, size: int = 64) -> None:
        self._orders: dict[tuple[str, str], OrderView] = {}
        self._size = size

    def keep(self, ctx: ToolContext, order: OrderView) -> None:
        while len(self._orders) >= self._size:
            self._orders.pop(next(iter(self._orders)))
        self._orders[(ctx.conversation_id, order.order_id)] = order

    def take(self, ctx: ToolContext, order_id: str) -> OrderView | None:
        return self._orders.pop((ctx.conversation_id, order_id.upper()), None)


def order_card(order: OrderView, language: str) -> dict[str, Any]:
    first = order.lines[0] if order.lines else None
    title = (first.name_zh if language == "zh" else first.name_en) if first else order.order_id
    latest = order.shipment.events[-1] if order.shipment and order.shipment.events else None
    return {
        "type": "order",
        "id": order.order_id,
        "title": title,
        "items": sum(line.quantity for line in order.lines),
        "status": order.status,
        "shipment_status": order.shipment.status if order.shipment else None,
        "placed_at": order.placed_at.isoformat(),
        "total": f"{order.total:.2f}",
        "currency": order.currency,
        "latest_event": None
        if latest is None
        else (latest.description_zh if language == "zh" else latest.description_en),
    }


def order_facts(order: OrderView) -> dict[str, Any]:
    """Plain facts for templates and LLM grounding (both languages kept; NLG picks)."""
    shipment = order.shipment
    latest = shipment.events[-1] if shipment and shipment.events else None
    return {
        "order_id": order.order_id,
        "status": order.status,
        "placed_at": order.placed_at.isoformat(),
        "total": f"{order.total:.2f}",
        "items_zh": [line.name_zh for line in order.lines],
        "items_en": [line.name_en for line in order.lines],
        "shipment": None
        if shipment is None
        else {
            "carrier": shipment.carrier,
            "tracking_no": shipment.tracking_no,
            "status": shipment.status,
            "eta": shipment.eta.isoformat() if shipment.eta else None,
            "delivered_at": shipment.delivered_at.isoformat() if shipment.delivered_at else None,
            "latest_event": None
            if latest is None
            else {
                "at": latest.at.isoformat(),
                "status": latest.status,
                "location_zh": latest.location_zh,
                "location_en": latest.location_en,
                "description_zh": latest.description_zh,
                "description_en": latest.description_en,
            },
        },
    }


def order_need(order: OrderView) -> Need | None:
    """The need an answered order question met (`order:<id>`, the order's products), which follow-ups (a
    cross-sell) may build on; none for a cancelled order: nothing in it was kept."""
    if order.status == "cancelled":
        return None
    products = tuple(dict.fromkeys(line.product_id for line in order.lines))
    return Need(f"order:{order.order_id}", OrderStatusTool.name, products)


class OrderStatusTool(BaseTool):
    """Status and latest tracking of one order, or the customer's recent orders when no id is given."""

    name: ClassVar[str] = "order_status"
    description: ClassVar[str] = (
        "Look up the status and latest tracking event of one of the customer's orders. "
        "Without order_id, list the customer's recent orders."
    )
    purpose: ClassVar[dict[str, str]] = {"zh": "查订单状态", "en": "look up an order"}
    intents: ClassVar[tuple[str, ...]] = ("order_status",)

    class Args(BaseModel):
        order_id: str | None = Field(
            default=None, pattern=ORDER_ID_PATTERN, description="Order id like KF10000001"
        )
        # anonymous customers only: the phone number or email on the order, as the customer wrote it
        phone: str | None = Field(default=None, max_length=32, description="Phone number on the order")
        email: str | None = Field(default=None, max_length=120, description="Email on the order")

    def __init__(self, repo: OrderRepository) -> None:
        self._repo = repo
        self._checked = CheckedOrders()

    async def authorize(self, args: BaseModel, ctx: ToolContext) -> None:
        """Refuse (ToolError) an order that is not the customer's, before anything runs."""
        order_id = getattr(args, "order_id", None)
        if order_id:
            contact = getattr(args, "phone", None) or getattr(args, "email", None)
            self._checked.keep(ctx, await asyncio.to_thread(owned_order, self._repo, order_id, ctx, contact))

    async def __call__(self, args: BaseModel, ctx: ToolContext) -> ToolResult:
        assert isinstance(args, self.Args)
        if args.order_id is None:
            if not ctx.customer_id:
                raise ToolError("login_required", "The customer is not signed in.")
            orders = await asyncio.to_thread(self._repo.list_orders, ctx.customer_id, limit=3)
            return ToolResult(
                data={"orders": [o.order_id for o in orders]},
                cards=[order_card(o, ctx.language) for o in orders],
            )
        order = self._checked.take(ctx, args.order_id)
        if order is None:
            order = await asyncio.to_thread(owned_order, self._repo, args.order_id, ctx, args.phone or args.email)
        return ToolResult(data=order_facts(order), cards=[order_card(order, ctx.language)], met=order_need(order))

    def plan(self, turn: Turn) -> Decision:
        """The order named now or in the last few turns; without one, list the customer's recent orders and
        ask which (they come back as quick replies)."""
        order_id = turn.nlu.slots.get("order_id") or turn.recent("order_id")
        if order_id is None:
            return turn.call(self.name, {}, ask_slot="order_id")
        if turn.state.customer_id:
            profile = turn.state.customer_profile or {}
            if (profile.get("needs") or [None])[0] == "delivery":  # what they care about most: say it first
                return turn.call(self.name, {"order_id": order_id}, template=DELIVERY_FIRST)
            return turn.call(self.name, {"order_id": order_id})
        # anonymous: the order's phone or email proves it is theirs; ask for it first
        given = [(s, turn.nlu.slots.get(s)) for s in CONTACT_SLOTS] + [(s, turn.recent(s)) for s in CONTACT_SLOTS]
        for slot, contact in given:  # what this message says first, then what the last few turns said
            if contact:
                return turn.call(self.name, {"order_id": order_id, slot: str(contact)})
        return turn.ask(CONTACT_ASK, template="ask_order_contact")

    def reply(self, result: ToolResult, decision: Decision, language: str, say: Phrasebook) -> ToolReply:
        if "orders" in result.data:  # no id given: which order is it?
            key = decision.template or "ask_order_id"
            orders = list(result.data["orders"])
            return ToolReply(say.render(key if orders else "ask_order_id_none", language), quick_replies=orders)
        return ToolReply(order_status_text(result.data, language, say,
                                           delivery_first=decision.template == DELIVERY_FIRST))


def order_status_text(data: dict[str, Any], lang: str, say: Phrasebook, *, delivery_first: bool = False) -> str:
    """Status, carrier and tracking number, the latest tracking event, and delivery or its estimate; with
    `delivery_first` (a customer whose profile says delivery matters most to them), delivery or its estimate and
    the latest tracking event lead, then the rest."""
    items = say.items(data.get(f"items_{lang}", []), lang)
    out = [say.render("order_status", lang, order_id=data["order_id"], items=items,
                      status=say.term(f"status.{data['status']}", lang))]
    shipment = data.get("shipment")
    if shipment:
        out.append(say.render("order_shipment", lang, carrier=say.name(shipment["carrier"], lang),
                              tracking_no=shipment["tracking_no"],
                              shipment_status=say.term(f"shipment_status.{shipment['status']}", lang)))
        latest = shipment.get("latest_event")
        if latest:
            out.append(say.render("order_latest_event", lang, when=say.date(latest["at"], lang),
                                  location=latest[f"location_{lang}"],
                                  description=latest[f"description_{lang}"].rstrip("。.")))
        if shipment.get("delivered_at"):
            out.append(say.render("order_delivered_at", lang,
                                  delivered=say.date(shipment["delivered_at"], lang, with_time=False)))
        elif shipment.get("eta"):
            out.append(say.render("order_eta", lang, eta=say.date(shipment["eta"], lang, with_time=False)))
        if delivery_first:
            lead = len(out) - (1 if shipment.get("delivered_at") or shipment.get("eta") else 0)
            out = out[lead:] + out[2:lead] + out[:2]  # arrival, latest event, then status and parcel
    return ("" if lang == "zh" else " ").join(out)
