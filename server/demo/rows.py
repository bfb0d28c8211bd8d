"""The demo store's drafts as table rows, keyed by table name in insertion order (ids assigned here)."""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from server.demo.catalog import CATEGORIES, ProductSpec
from server.demo.orders import OrderDraft, ReturnDraft, ShipmentDraft, TrackPoint

if TYPE_CHECKING:
    from server.demo.generate import Ctx


def table_rows(
    ctx: Ctx, drafts: list[OrderDraft], campaigns: list[dict[str, Any]], coupons: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    rng = ctx.rng("rows")
    orders, lines, shipments, events, returns, return_lines = [], [], [], [], [], []
    order_ids: dict[int, str] = {}
    sold: dict[str, int] = {}
    first_order: dict[str, datetime] = {}
    pending_returns: list[tuple[ReturnDraft, str, list[int]]] = []
    for n, o in enumerate(drafts, start=1):
        oid = f"KF{10_000_000 + n:08d}"
        order_ids[id(o)] = oid
        person = ctx.person(o.customer_id)
        orders.append(
            {
                "id": oid,
                "customer_id": o.customer_id,
                "status": o.status,
                "placed_at": o.placed_at,
                "paid_at": o.paid_at,
                "total": o.total,
                "currency": "CNY",
                "shipping_address": person.address,
                "campaign_id": o.campaign_id,
                "campaign_discount": o.campaign_discount,
            }
        )
        first_order.setdefault(o.customer_id, o.placed_at)
        line_ids = []
        for ln in o.lines:
            line_ids.append(len(lines) + 1)
            lines.append(
                {
                    "id": len(lines) + 1,
                    "order_id": oid,
                    "product_id": ln.product_id,
                    "quantity": ln.quantity,
                    "unit_price": ln.unit_price,
                }
            )
            if o.status != "cancelled":
                sold[ln.product_id] = sold.get(ln.product_id, 0) + ln.quantity
        if o.shipment:
            shipments.append(_shipment_row(len(shipments) + 1, oid, o.shipment))
            events += [_event_row(len(shipments), e) for e in o.shipment.events]
        pending_returns += [(r, oid, [line_ids[i] for i in r.line_indexes]) for r in o.returns]
    pending_returns.sort(key=lambda t: (t[0].created_at, t[1]))
    for n, (r, oid, lids) in enumerate(pending_returns, start=1):
        rid = f"R{n:08d}"
        returns.append(
            {
                "id": rid,
                "order_id": oid,
                "kind": r.kind,
                "status": r.status,
                "reason": r.reason,
                "refund_amount": r.refund_amount,
                "created_at": r.created_at,
            }
        )
        return_lines += [{"return_id": rid, "order_line_id": lid} for lid in lids]
    for c in coupons:
        used = c.pop("used_order")
        c["used_order_id"] = order_ids[id(used)] if used else None
    return {
        "categories": _category_rows(),
        "products": _product_rows(rng, ctx.products, sold),
        "customers": _customer_rows(rng, ctx, membership_tiers(ctx.people, drafts), first_order),
        "orders": orders,
        "order_lines": lines,
        "shipments": shipments,
        "tracking_events": events,
        "returns": returns,
        "return_lines": return_lines,
        "campaigns": campaigns,
        "coupons": coupons,
    }


def _shipment_row(sid: int, oid: str, s: ShipmentDraft) -> dict[str, Any]:
    return {
        "id": sid,
        "order_id": oid,
        "carrier": s.carrier,
        "tracking_no": s.tracking_no,
        "status": s.status,
        "shipped_at": s.first_at("picked_up"),
        "delivered_at": s.first_at("delivered"),
        "eta": s.eta,
    }


def _event_row(sid: int, e: TrackPoint) -> dict[str, Any]:
    return {
        "shipment_id": sid,
        "at": e.at,
        "status": e.status,
        "location_zh": e.location_zh,
        "location_en": e.location_en,
        "description_zh": e.description_zh,
        "description_en": e.description_en,
    }


def _category_rows() -> list[dict[str, Any]]:
    return [
        {
            "key": c.key,
            "name_zh": c.name_zh,
            "name_en": c.name_en,
            "keywords_zh": list(c.keywords_zh),
            "keywords_en": list(c.keywords_en),
            "returnable": c.returnable,
            "parent_key": c.parent,
        }
        for c in CATEGORIES
    ]


def item_no(product_id: str) -> str:
    """The demo product's 12-digit listing number, as shoppers paste them: fixed by its id (stable across builds)."""
    return str(600_000_000_000 + int(hashlib.sha256(product_id.encode()).hexdigest(), 16) % 100_000_000_000)


def _product_rows(
    rng: random.Random, products: list[tuple[str, ProductSpec]], sold: dict[str, int]
) -> list[dict[str, Any]]:
    rows = []
    for pid, p in products:
        if p.category == "gift_card":
            stock = 9999
        elif rng.random() < 0.08:
            stock = 0
        else:
            stock = rng.randint(3, 60) if p.price >= 2000 else rng.randint(20, 800)
        rows.append(
            {
                "id": pid,
                "name_zh": p.name_zh,
                "name_en": p.name_en,
                "brand": p.brand_label,
                "category_key": p.category,
                "price": p.price,
                "stock": stock,
                "popularity": sold.get(pid, 0),
                "attributes": {**p.attributes, "item_no": item_no(pid)},
                "description_zh": p.description_zh,
                "description_en": p.description_en,
            }
        )
    return rows


def membership_tiers(people: list[tuple[str, Any]], drafts: list[OrderDraft]) -> dict[str, str]:
    """Each customer's tier by their spend before discounts (orders not cancelled): the top 5% platinum, the next
    12% gold, the next 25% silver, the rest regular. Spend before discounts, so the tier a customer had when a
    campaign was offered to them does not move with the coupons they later used."""
    spend: dict[str, Decimal] = {}
    for o in drafts:
        if o.status != "cancelled":
            spend[o.customer_id] = spend.get(o.customer_id, Decimal(0)) + o.subtotal
    ranked = sorted(people, key=lambda p: (-spend.get(p[0], Decimal(0)), p[0]))
    n = len(ranked)
    tiers = {}
    for rank, (cid, _person) in enumerate(ranked):
        share = rank / n
        tiers[cid] = "platinum" if share < 0.05 else "gold" if share < 0.17 else "silver" if share < 0.42 else "regular"
    return tiers


def _customer_rows(
    rng: random.Random, ctx: Ctx, tiers: dict[str, str], first_order: dict[str, datetime]
) -> list[dict[str, Any]]:
    rows = []
    for cid, person in ctx.people:
        created = ctx.now - timedelta(days=rng.uniform(30, 1500))
        first = first_order.get(cid)
        if first and created > first:
            created = first - timedelta(days=rng.uniform(1, 90))
        rows.append(
            {
                "id": cid,
                "name": person.name,
                "language": person.language,
                "email": person.email,
                "phone": person.phone,
                "address": person.address,
                "tier": tiers[cid],
                "created_at": created,
            }
        )
    return rows
