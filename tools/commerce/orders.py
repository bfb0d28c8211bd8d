"""Order lookup and tracking, limited to the conversation's own customer."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from agent.protocols import ToolContext, ToolError, ToolResult
from tools.commerce.ports import OrderRepository, OrderView

ORDER_ID_PATTERN = r"^KF\d{8}$"


def owned_order(repo: OrderRepository, order_id: str, ctx: ToolContext) -> OrderView:
    """The order if it belongs to the conversation's customer; otherwise the same not-found error.

    Another customer's order and a non-existent one are indistinguishable to the caller, so an order
    id reveals nothing about whose it is.
    """
    if not ctx.customer_id:
        raise ToolError("login_required", "The customer is not signed in.")
    order = repo.get_order(order_id.upper())
    if order is None or order.customer_id != ctx.customer_id:
        raise ToolError(
            "order_not_found", f"No order {order_id} for this customer.", order_id=order_id.upper()
        )
    return order


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


class OrderStatusTool:
    """Status and latest tracking of one order, or the customer's recent orders when no id is given."""

    name: ClassVar[str] = "order_status"
    description: ClassVar[str] = (
        "Look up the status and latest tracking event of one of the customer's orders. "
        "Without order_id, list the customer's recent orders."
    )

    class Args(BaseModel):
        order_id: str | None = Field(
            default=None, pattern=ORDER_ID_PATTERN, description="Order id like KF10000001"
        )

    def __init__(self, repo: OrderRepository) -> None:
        self._repo = repo

    async def authorize(self, args: BaseModel, ctx: ToolContext) -> None:
        """Refuse (ToolError) an order that is not the customer's, before anything runs."""
        order_id = getattr(args, "order_id", None)
        if order_id:
            await asyncio.to_thread(owned_order, self._repo, order_id, ctx)

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
        order = await asyncio.to_thread(owned_order, self._repo, args.order_id, ctx)
        return ToolResult(data=order_facts(order), cards=[order_card(order, ctx.language)])
