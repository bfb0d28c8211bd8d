"""Who may have a campaign now, and why not: pure checks on plain data, one reason each.

A refusal carries a code (the tools word it in zh and en) and the facts that explain it (dates, the
segments, the coupon already held). The checks run in the order a customer would want to hear them: sign in
first, then whether the campaign is something one claims at all, is on, has started, has not ended, is for
them, whether they already have it, and last whether any budget is left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tools.marketing.campaigns.rules import MEMBERSHIP_TIERS, Campaign


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    """What eligibility needs to know of a verified customer: their membership tier and how many orders they
    have placed (cancelled ones left out; none makes them a new customer)."""

    customer_id: str
    tier: str
    orders: int

    def segments(self) -> set[str]:
        return {"new_customer" if self.orders == 0 else "returning", self.tier}


@dataclass(frozen=True, slots=True)
class HeldCoupon:
    """A coupon issued to the customer. `claim_key` is set for coupons claimed in a conversation (the claim's
    idempotency key)."""

    code: str
    campaign_id: str | None
    discount: Decimal
    min_spend: Decimal
    expires_at: datetime
    status: str  # issued | used | expired
    claim_key: str | None = None

    def usable(self, now: datetime) -> bool:
        return self.status == "issued" and self.expires_at >= now


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why not: `code` names the reason (a reply template), `params` the facts it states."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)


def in_audience(campaign: Campaign, customer: CustomerProfile | None) -> bool:
    """A campaign with no segments is for everyone; otherwise only for verified customers in one of them."""
    if not campaign.segments:
        return True
    return customer is not None and bool(customer.segments() & set(campaign.segments))


def timing_refusal(campaign: Campaign, now: datetime, tz: str) -> Refusal | None:
    """Paused, ended, not started yet, over, or not its day of the month (in the store's time zone)."""
    base = {"campaign_id": campaign.id, "name_zh": campaign.name_zh, "name_en": campaign.name_en}
    if campaign.status == "paused":
        return Refusal("campaign_paused", base)
    if campaign.status == "ended" or now > campaign.ends_at:
        return Refusal("campaign_ended", {**base, "ends_at": campaign.ends_at.isoformat()})
    if now < campaign.starts_at:
        return Refusal("campaign_not_started", {**base, "starts_at": campaign.starts_at.isoformat()})
    day = campaign.rules.day_of_month
    if day is not None and now.astimezone(ZoneInfo(tz)).day != day:
        return Refusal("campaign_not_today", {**base, "day": day})
    return None


def audience_refusal(campaign: Campaign, customer: CustomerProfile | None) -> Refusal | None:
    if in_audience(campaign, customer):
        return None
    tiers = [s for s in campaign.segments if s in MEMBERSHIP_TIERS]
    return Refusal("campaign_not_for_you", {"campaign_id": campaign.id, "name_zh": campaign.name_zh,
                                            "name_en": campaign.name_en, "segments": list(campaign.segments),
                                            "tiers": tiers, "signed_in": customer is not None})


def budget_refusal(campaign: Campaign, cost: Decimal) -> Refusal | None:
    """No budget left for `cost` more (a coupon's face value; any amount at all for an automatic campaign)."""
    left = campaign.budget_left
    if left is None or (left >= cost and left > 0):
        return None
    return Refusal("campaign_budget_exhausted", {"campaign_id": campaign.id, "name_zh": campaign.name_zh,
                                                 "name_en": campaign.name_en})


def held_of(campaign: Campaign, held: list[HeldCoupon]) -> list[HeldCoupon]:
    return [c for c in held if c.campaign_id == campaign.id]


def offer_refusal(campaign: Campaign, customer: CustomerProfile | None, now: datetime, tz: str) -> Refusal | None:
    """Why this campaign is not one to show this customer now (None: show it)."""
    return (timing_refusal(campaign, now, tz) or audience_refusal(campaign, customer)
            or budget_refusal(campaign, campaign.rules.discount or Decimal("0.01")))


def claim_refusal(
    campaign: Campaign, customer: CustomerProfile | None, held: list[HeldCoupon], now: datetime, tz: str
) -> Refusal | None:
    """Why this customer may not claim this campaign's coupon now (None: they may). `held` are the customer's
    coupons (any status); the per-customer limit counts every coupon of the campaign they ever got."""
    names = {"campaign_id": campaign.id, "name_zh": campaign.name_zh, "name_en": campaign.name_en}
    if customer is None:
        return Refusal("coupon_needs_sign_in", names)
    if campaign.rules.type != "coupon":
        return Refusal("campaign_not_claimable", names)
    refusal = timing_refusal(campaign, now, tz) or audience_refusal(campaign, customer)
    if refusal is not None:
        return refusal
    mine = held_of(campaign, held)
    limit = campaign.per_customer_limit or 1
    if len(mine) >= limit:
        last = max(mine, key=lambda c: c.expires_at)
        return Refusal("coupon_already_claimed", {**names, "limit": limit, "coupon_code": last.code,
                                                  "expires_at": last.expires_at.isoformat(), "status": last.status})
    assert campaign.rules.discount is not None  # a coupon campaign has one (validated)
    return budget_refusal(campaign, campaign.rules.discount)
