"""Reads behind a campaign's readout: the offers of it shown in conversations (`OfferMade` events), the coupons
issued under it with the orders they were used on, the orders it discounted at checkout (`orders.campaign_id`,
cancelled ones left out), and the customers involved (tier, first order).

Offers are found by event type and time (the `(type, at)` index of migration 0005) and then by the payload's
`offer_id` (JSON, on SQLite and PostgreSQL alike); at most `limit` of them, the newest, and the caller is told
when the bound cut the campaign's history (`CampaignOutcomes.truncated`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from server.db.models import Conversation, Coupon, Customer, DialogueEvent, Order
from tools.marketing.campaigns.readout import CampaignOrder, IssuedCoupon, OfferShown, Shopper

LOOKUP_CHUNK = 500  # ids per IN (...) list
OFFER_KINDS = ("campaign", "coupon", "trade_in")  # an OfferMade of a campaign (cross-sells name products)


@dataclass(frozen=True, slots=True)
class CampaignOutcomes:
    offers: list[OfferShown]  # oldest first
    coupons: list[IssuedCoupon]
    orders: list[CampaignOrder]  # discounted by the campaign at checkout
    shoppers: dict[str, Shopper]  # customer id -> tier and first order, for everyone above
    truncated: bool  # more than `limit` offers: the oldest were left out


def campaign_outcomes(sessions: sessionmaker[Session], campaign_id: str, *, since: datetime, until: datetime,
                      limit: int) -> CampaignOutcomes:
    """The campaign's offers shown in `[since, until]` and every coupon issued under it."""
    offer_id = DialogueEvent.payload["offer_id"].as_string()
    kind = DialogueEvent.payload["kind"].as_string()
    offers_stmt = (
        select(DialogueEvent.conversation_id, DialogueEvent.at, Conversation.customer_id)
        .join(Conversation, Conversation.id == DialogueEvent.conversation_id)
        .where(DialogueEvent.type == "offer_made", DialogueEvent.at >= since, DialogueEvent.at <= until,
               offer_id == campaign_id, kind.in_(OFFER_KINDS))
        .order_by(DialogueEvent.at.desc(), DialogueEvent.id.desc())
        .limit(limit + 1)
    )
    coupons_stmt = (
        select(Coupon.code, Coupon.customer_id, Coupon.discount, Coupon.status, Coupon.issued_at, Coupon.claim_key,
               Order.placed_at, Order.total)
        .outerjoin(Order, Order.id == Coupon.used_order_id)
        .where(Coupon.campaign_id == campaign_id)
        .order_by(Coupon.code)
    )
    orders_stmt = (
        select(Order.id, Order.customer_id, Order.placed_at, Order.campaign_discount, Order.total)
        .where(Order.campaign_id == campaign_id, Order.status != "cancelled")
        .order_by(Order.placed_at, Order.id)
    )
    with sessions() as session:
        rows = session.execute(offers_stmt).all()
        orders = [CampaignOrder(*row) for row in session.execute(orders_stmt)]
        offers = [OfferShown(cid, at, customer) for cid, at, customer in reversed(rows[:limit])]
        coupons = [IssuedCoupon(code, customer, discount, status, issued_at, key,
                                placed_at if status == "used" else None, total if status == "used" else None)
                   for code, customer, discount, status, issued_at, key, placed_at, total
                   in session.execute(coupons_stmt)]
        who = {o.customer_id for o in offers} | {c.customer_id for c in coupons} | {o.customer_id for o in orders}
        shoppers = _shoppers(session, (w for w in who if w))
    return CampaignOutcomes(offers, coupons, orders, shoppers, truncated=len(rows) > limit)


def _shoppers(session: Session, customer_ids: Iterable[str]) -> dict[str, Shopper]:
    wanted = sorted(set(customer_ids))
    out: dict[str, Shopper] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        first = dict(session.execute(
            select(Order.customer_id, func.min(Order.placed_at))
            .where(Order.customer_id.in_(chunk), Order.status != "cancelled")
            .group_by(Order.customer_id)).all())
        for cid, tier in session.execute(select(Customer.id, Customer.tier).where(Customer.id.in_(chunk))):
            out[cid] = Shopper(tier, first.get(cid))
    return out

