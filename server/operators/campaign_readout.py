"""A campaign's performance readout as the console and the marketer's chat show it: offers shown, coupons claimed
and redeemed, claim and redemption rates with their 95% intervals, spend against budget, by segment and by
day (what is counted and why: `tools.marketing.campaigns.readout`), plus the campaign's experiments when the
store has them (`server.operators.experiments_hook`; null otherwise, never made up).

Offers are read from the campaign's start up to now (at most `MAX_OFFERS`, the newest); coupons over its whole
life, so a coupon redeemed after the campaign ended still counts. Blocking (SQL): call it in a worker thread.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from server.db.campaign_outcomes import campaign_outcomes
from server.db.campaigns import CampaignRepository
from server.operators.experiments_hook import experiments_summary
from server.operators.marketing import RateOut
from tools.marketing.campaigns.readout import Funnel, readout

MAX_OFFERS = 50_000


class FunnelOut(BaseModel):
    shown: int  # offers shown (OfferMade events)
    reached: int  # conversations the campaign was shown in
    claimed_after_offer: int  # of those, conversations where its coupon was then claimed
    claimed: int  # coupons issued under the campaign, however issued
    redeemed: int  # of those, used on an order; for a campaign applied at checkout, the orders it discounted
    claim_rate: RateOut  # claimed_after_offer / reached
    redemption_rate: RateOut  # redeemed / claimed
    discount_claimed: str  # yuan, face value of the coupons claimed
    discount_redeemed: str
    redeemed_sales: str  # totals of the orders the coupons were used on (or the campaign discounted)

    @classmethod
    def of(cls, f: Funnel) -> FunnelOut:
        return cls(shown=f.shown, reached=f.reached, claimed_after_offer=f.claimed_after_offer, claimed=f.claimed,
                   redeemed=f.redeemed, claim_rate=RateOut.of(f.claim_rate),
                   redemption_rate=RateOut.of(f.redemption_rate), discount_claimed=f"{f.discount_claimed:.2f}",
                   discount_redeemed=f"{f.discount_redeemed:.2f}", redeemed_sales=f"{f.redeemed_sales:.2f}")


class SegmentOut(FunnelOut):
    dimension: Literal["customer", "tier"]
    key: str  # new_customer | returning | anonymous; regular | silver | gold | platinum | anonymous


class DayOut(BaseModel):
    day: date
    shown: int
    claimed: int
    redeemed: int


class BudgetOut(BaseModel):
    budget: str | None  # null: no cap
    spent: str  # discount committed (coupons claimed, at face value)
    left: str | None
    used: float | None  # spent / budget


class CampaignReadout(BaseModel):
    campaign_id: str
    name_zh: str
    name_en: str
    status: Literal["active", "paused", "ended"]
    running: bool
    type: str  # threshold | percent_off | coupon
    claimable: bool  # a coupon campaign (automatic ones apply at checkout: nothing to claim)
    starts_at: datetime
    ends_at: datetime
    since: datetime  # offers counted from here ...
    until: datetime  # ... to here (now, or the campaign's end)
    total: FunnelOut
    segments: list[SegmentOut]
    days: list[DayOut]  # the campaign's latest days (at most 60), in the store's time zone
    budget: BudgetOut
    offers_truncated: bool  # more offers than MAX_OFFERS: the oldest were left out
    experiments: list[dict[str, Any]] | None  # null: the store has no experiments yet


def _budget(budget: Decimal | None, spent: Decimal) -> BudgetOut:
    if budget is None:
        return BudgetOut(budget=None, spent=f"{spent:.2f}", left=None, used=None)
    return BudgetOut(budget=f"{budget:.2f}", spent=f"{spent:.2f}", left=f"{max(Decimal('0'), budget - spent):.2f}",
                     used=round(float(spent / budget), 4) if budget else None)


def campaign_readout(sessions: sessionmaker[Session], campaign_id: str, *, now: datetime,
                     tz: str = "Asia/Shanghai") -> CampaignReadout | None:
    """The readout of the campaign, or None for an unknown campaign."""
    record = CampaignRepository(sessions).record(campaign_id)
    if record is None:
        return None
    since, until = record["starts_at"], max(record["starts_at"], min(now, record["ends_at"]))
    found = campaign_outcomes(sessions, campaign_id, since=since, until=until, limit=MAX_OFFERS)
    kind = str((record["rules"] or {}).get("type", ""))
    result = readout(campaign_id, found.offers, found.coupons, found.shoppers, now=now,
                     starts_at=record["starts_at"], ends_at=record["ends_at"], claimable=kind == "coupon", tz=tz,
                     orders=found.orders)
    return CampaignReadout(
        campaign_id=campaign_id, name_zh=record["name_zh"], name_en=record["name_en"], status=record["status"],
        running=record["status"] == "active" and record["starts_at"] <= now <= record["ends_at"],
        type=kind, claimable=kind == "coupon", starts_at=record["starts_at"], ends_at=record["ends_at"],
        since=since, until=until, total=FunnelOut.of(result.total),
        segments=[SegmentOut(dimension=s.dimension, key=s.key, **FunnelOut.of(s.funnel).model_dump())
                  for s in result.segments],
        days=[DayOut(day=d.day, shown=d.shown, claimed=d.claimed, redeemed=d.redeemed) for d in result.days],
        budget=_budget(record["budget"], record["spent"] or Decimal("0")),
        offers_truncated=found.truncated,
        experiments=experiments_summary(sessions, campaign_id=campaign_id),
    )
