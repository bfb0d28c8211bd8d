"""JSON shapes the console shows: the customer's profile and orders (plain dicts, strings for money)."""

from __future__ import annotations

from typing import Any

from server.db.customers import CustomerRow
from tools.commerce.ports import OrderView


def customer_view(c: CustomerRow) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "language": c.language, "tier": c.tier, "email": c.email,
            "phone": c.phone, "address": c.address, "since": c.created_at.isoformat()}


def order_view(o: OrderView) -> dict[str, Any]:
    s = o.shipment
    latest = s.events[-1] if s and s.events else None
    return {
        "order_id": o.order_id,
        "status": o.status,
        "placed_at": o.placed_at.isoformat(),
        "total": str(o.total),
        "currency": o.currency,
        "items": [{"product_id": li.product_id, "name_zh": li.name_zh, "name_en": li.name_en,
                   "quantity": li.quantity} for li in o.lines],
        "shipment": None if s is None else {
            "carrier": s.carrier,
            "tracking_no": s.tracking_no,
            "status": s.status,
            "eta": s.eta.isoformat() if s.eta else None,
            "delivered_at": s.delivered_at.isoformat() if s.delivered_at else None,
            "latest": None if latest is None else {
                "at": latest.at.isoformat(), "status": latest.status,
                "description_zh": latest.description_zh, "description_en": latest.description_en,
            },
        },
        "returns": [{"return_id": r.return_id, "status": r.status, "kind": r.kind} for r in o.returns],
        # what the customer asked for before it ships (a courier, a date, one parcel or several; a cancellation)
        "wishes": [{"kind": w.kind, "value": w.value, "status": w.status, "at": w.created_at.isoformat()}
                   for w in o.wishes],
    }
