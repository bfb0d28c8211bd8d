"""What the offer bandit is rebuilt from: its logged decisions in a window of days with their outcomes
(`tools.marketing.offer_log`), the coupons used on orders, the orders automatic campaigns discounted (an offer of
one is redeemed when the conversation's customer placed such an order within `REDEEM_DAYS` of it) and each
campaign's scope from the store."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from agent.events import CouponIssued, OfferMade, ProductInteracted
from server.db.marketing import events_in_window
from server.db.models import Conversation, Coupon, Order, Product
from server.db.offers import SqlCampaignStore
from tools.marketing import offer_log
from tools.marketing.campaigns import Line
from tools.marketing.campaigns.conversation import campaigns_from
from tools.marketing.campaigns.thresholds import in_scope
from tools.marketing.offer_bandit import OfferRewards, Trial

MAX_EVENTS = 200000
REDEEM_DAYS = 7  # an order a campaign discounted within this many days of its offer redeems the offer
LOOKUP_CHUNK = 500


def offer_trials(sessions: sessionmaker[Session], now: datetime, *, days: int,
                 rewards: OfferRewards) -> list[Trial]:
    window = events_in_window(sessions, types=[OfferMade.type, CouponIssued.type, ProductInteracted.type],
                              since=now - timedelta(days=days), until=now, limit=MAX_EVENTS)
    events = window.events
    if not any(offer_log.is_decision(e) for e in events):
        return []
    with sessions() as s:
        used = set(s.scalars(select(Coupon.code).where(Coupon.status == "used")))
        bought = {e.product_id for e in events if isinstance(e, ProductInteracted) and e.kind == "purchased"}
        category = dict(s.execute(select(Product.id, Product.category_key).where(Product.id.in_(bought)))
                        .all()) if bought else {}
        talked = sorted({e.conversation_id for e in events if offer_log.is_decision(e)})
        customer_of: dict[str, str] = {}
        for start in range(0, len(talked), LOOKUP_CHUNK):
            chunk = talked[start : start + LOOKUP_CHUNK]
            customer_of.update((cid, who) for cid, who in s.execute(
                select(Conversation.id, Conversation.customer_id).where(Conversation.id.in_(chunk))) if who)
        discounted: dict[tuple[str, str], list[datetime]] = {}
        who = sorted(set(customer_of.values()))
        for start in range(0, len(who), LOOKUP_CHUNK):
            for customer, campaign, at in s.execute(
                    select(Order.customer_id, Order.campaign_id, Order.placed_at)
                    .where(Order.customer_id.in_(who[start : start + LOOKUP_CHUNK]), Order.campaign_id.is_not(None),
                           Order.status != "cancelled", Order.placed_at >= now - timedelta(days=days))):
                discounted.setdefault((customer, campaign), []).append(at)
    rules = {c.id: c.rules for c in campaigns_from(SqlCampaignStore(sessions).campaigns())}

    def covers(offer_id: str, product_id: str) -> bool:
        r = rules.get(offer_id)
        if r is None or product_id not in category:
            return False
        return in_scope(r, Line(product_id, category[product_id], Decimal(0)))

    def ordered(conversation_id: str, campaign_id: str, at: datetime) -> bool:
        customer = customer_of.get(conversation_id)
        placed = discounted.get((customer, campaign_id), []) if customer else []
        return any(at <= p <= at + timedelta(days=REDEEM_DAYS) for p in placed)

    return offer_log.trials(events, rewards, used_codes=used, covers=covers, ordered=ordered)
