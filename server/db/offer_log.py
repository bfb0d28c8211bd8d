"""What the offer bandit is rebuilt from: its logged decisions in a window of days with their outcomes
(`tools.marketing.offer_log`), the coupons used on orders and each campaign's scope from the store."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from agent.events import CouponIssued, OfferMade, ProductInteracted
from server.db.marketing import events_in_window
from server.db.models import Coupon, Product
from server.db.offers import SqlCampaignStore
from tools.marketing import offer_log
from tools.marketing.campaigns import Line
from tools.marketing.campaigns.conversation import campaigns_from
from tools.marketing.campaigns.thresholds import in_scope
from tools.marketing.offer_bandit import OfferRewards, Trial

MAX_EVENTS = 200000


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
    rules = {c.id: c.rules for c in campaigns_from(SqlCampaignStore(sessions).campaigns())}

    def covers(offer_id: str, product_id: str) -> bool:
        r = rules.get(offer_id)
        if r is None or product_id not in category:
            return False
        return in_scope(r, Line(product_id, category[product_id], Decimal(0)))

    return offer_log.trials(events, rewards, used_codes=used, covers=covers)
