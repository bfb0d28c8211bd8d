"""A campaign's performance readout from the marketing outcome log: offers shown → coupons claimed → redeemed,
in all, by customer segment and by day. Plain functions over plain rows (no store, no server).

What is counted, and why so:
- *shown*: every `OfferMade` of the campaign (a card put to a customer). *reached*: the conversations it was
  shown in — the unit of the claim rate, since a customer who asks twice in one chat is one exposure.
- *claimed after the offer*: a reached conversation in which the customer then claimed the campaign's coupon
  (the coupon's claim key is `conversation:campaign`, what the claim tool writes). claim rate = that / reached.
- *claimed*: every coupon issued under the campaign however it was issued (in chat, or by the store);
  *redeemed*: those used on an order. redemption rate = redeemed / claimed.
- A campaign applied at checkout (满减, percent off: nothing to claim) is *redeemed* by every order it discounted
  (the order records the campaign, `CampaignOrder`); the redemption rate stays coupons used / coupons claimed.
- Money: the face value of the coupons claimed (what counts against the budget) and of those redeemed, and
  the totals of the orders they were redeemed on; for a campaign applied at checkout, what it took off the orders
  and their totals.

Segments are the ones campaigns target: membership tier (the customer's tier now: the store keeps no tier
history) and new vs returning (no order placed before the moment, cancelled orders left out); a visitor who was
not signed in is `anonymous` in both. Rates carry a 95% Wilson interval (`tools.marketing.outcomes.Rate`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from tools.marketing.outcomes import Rate

ANONYMOUS = "anonymous"
SEGMENT_DIMENSIONS = ("customer", "tier")  # new vs returning; membership tier
CUSTOMER_KEYS = ("new_customer", "returning", ANONYMOUS)
TIER_KEYS = ("regular", "silver", "gold", "platinum", ANONYMOUS)
MAX_DAYS = 60  # the daily series covers at most this many days (the campaign's latest)
ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class Shopper:
    """What the readout needs to know of a customer: their tier and when they first ordered (None: never)."""

    tier: str
    first_order_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OfferShown:
    """One `OfferMade` of the campaign; `customer_id` None for a visitor who was not signed in."""

    conversation_id: str
    at: datetime
    customer_id: str | None = None


@dataclass(frozen=True, slots=True)
class IssuedCoupon:
    """A coupon issued under the campaign; `redeemed_at`/`order_total` from the order it was used on."""

    code: str
    customer_id: str | None
    discount: Decimal
    status: str  # issued | used | expired
    issued_at: datetime | None = None
    claim_key: str | None = None
    redeemed_at: datetime | None = None
    order_total: Decimal | None = None

    @property
    def redeemed(self) -> bool:
        return self.status == "used"


@dataclass(frozen=True, slots=True)
class CampaignOrder:
    """An order an automatic campaign discounted at checkout (the order records the campaign and its discount)."""

    order_id: str
    customer_id: str | None
    placed_at: datetime
    discount: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class Funnel:
    shown: int
    reached: int
    claimed_after_offer: int
    claimed: int
    redeemed: int
    claim_rate: Rate  # claimed_after_offer / reached
    redemption_rate: Rate  # redeemed / claimed
    discount_claimed: Decimal
    discount_redeemed: Decimal
    redeemed_sales: Decimal


@dataclass(frozen=True, slots=True)
class SegmentRow:
    dimension: str  # customer | tier
    key: str
    funnel: Funnel


@dataclass(frozen=True, slots=True)
class Day:
    day: date  # in the store's time zone
    shown: int
    claimed: int
    redeemed: int


@dataclass(frozen=True, slots=True)
class Readout:
    total: Funnel
    segments: list[SegmentRow]  # dimensions in SEGMENT_DIMENSIONS order, keys in their order; empty ones left out
    days: list[Day]  # oldest first, every day of the span (zeros included)


@dataclass(slots=True)
class _Counts:
    shown: int = 0
    reached: int = 0
    claimed_after_offer: int = 0
    claimed: int = 0
    redeemed: int = 0
    coupons_redeemed: int = 0  # of `redeemed`, coupons (the rest: orders discounted at checkout)
    discount_claimed: Decimal = ZERO
    discount_redeemed: Decimal = ZERO
    redeemed_sales: Decimal = ZERO

    def funnel(self, claimable: bool) -> Funnel:
        claim_rate = Rate.of(self.claimed_after_offer, self.reached) if claimable else Rate(None, None, None)
        return Funnel(self.shown, self.reached, self.claimed_after_offer, self.claimed, self.redeemed,
                      claim_rate, Rate.of(self.coupons_redeemed, self.claimed),
                      self.discount_claimed, self.discount_redeemed, self.redeemed_sales)


def segments_of(shopper: Shopper | None, at: datetime) -> dict[str, str]:
    """`{"customer": new_customer | returning | anonymous, "tier": tier | anonymous}` at the moment `at`."""
    if shopper is None:
        return {"customer": ANONYMOUS, "tier": ANONYMOUS}
    new = shopper.first_order_at is None or shopper.first_order_at > at
    return {"customer": "new_customer" if new else "returning", "tier": shopper.tier}


def _claimed_conversation(coupon: IssuedCoupon, campaign_id: str) -> str | None:
    """The conversation a coupon was claimed in (its claim key is `conversation:campaign`), if any."""
    key = coupon.claim_key or ""
    conversation, sep, campaign = key.rpartition(":")
    return conversation if sep and campaign == campaign_id and conversation else None


def readout(
    campaign_id: str,
    offers: Iterable[OfferShown],
    coupons: Iterable[IssuedCoupon],
    shoppers: Mapping[str, Shopper],
    *,
    now: datetime,
    starts_at: datetime,
    ends_at: datetime,
    claimable: bool = True,
    tz: str = "Asia/Shanghai",
    orders: Iterable[CampaignOrder] = (),
) -> Readout:
    """The campaign's funnel in all, per segment and per day (see the module docstring for what counts).
    `claimable` False (a campaign applied at checkout): no claim rate, there is nothing to claim; `orders` are the
    orders such a campaign discounted."""
    offers = sorted(offers, key=lambda o: (o.at, o.conversation_id))
    coupons = list(coupons)
    orders = list(orders)
    total = _Counts()
    groups: dict[tuple[str, str], _Counts] = defaultdict(_Counts)

    def count(who: str | None, at: datetime) -> list[_Counts]:
        seg = segments_of(shoppers.get(who) if who else None, at)
        return [total, *(groups[dim, seg[dim]] for dim in SEGMENT_DIMENSIONS)]

    first_offer: dict[str, OfferShown] = {}  # conversation -> its first offer of the campaign
    for offer in offers:
        first_offer.setdefault(offer.conversation_id, offer)
        for c in count(offer.customer_id, first_offer[offer.conversation_id].at):
            c.shown += 1
    for offer in first_offer.values():
        for c in count(offer.customer_id, offer.at):
            c.reached += 1

    for coupon in coupons:
        at = coupon.issued_at or now
        targets = count(coupon.customer_id, at)
        conversation = _claimed_conversation(coupon, campaign_id)
        shown = first_offer.get(conversation) if conversation else None
        after_offer = shown is not None and (coupon.issued_at is None or coupon.issued_at >= shown.at)
        if after_offer:  # counted in the segment of the exposure, so the rate stays a share of its own rows
            assert shown is not None
            for c in count(shown.customer_id, shown.at):
                c.claimed_after_offer += 1
        for c in targets:
            c.claimed += 1
            c.discount_claimed += coupon.discount
            if coupon.redeemed:
                c.redeemed += 1
                c.coupons_redeemed += 1
                c.discount_redeemed += coupon.discount
                c.redeemed_sales += coupon.order_total or ZERO

    for order in orders:  # redeemed at checkout, in the customer's segment when they ordered
        for c in count(order.customer_id, order.placed_at):
            c.redeemed += 1
            c.discount_redeemed += order.discount
            c.redeemed_sales += order.total

    segments = [SegmentRow(dim, key, groups[dim, key].funnel(claimable))
                for dim, keys in (("customer", CUSTOMER_KEYS), ("tier", TIER_KEYS))
                for key in keys if (dim, key) in groups]
    return Readout(total.funnel(claimable), segments, daily(offers, coupons, now=now, starts_at=starts_at,
                                                   ends_at=ends_at, tz=tz, orders=orders))


def day_span(now: datetime, starts_at: datetime, ends_at: datetime, tz: str) -> list[date]:
    """The days the series covers: the campaign's days up to today (or its end), at most the latest MAX_DAYS."""
    zone = ZoneInfo(tz)
    if now < starts_at:
        return []
    first, last = starts_at.astimezone(zone).date(), min(now, ends_at).astimezone(zone).date()
    first = max(first, last - timedelta(days=MAX_DAYS - 1))
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass(slots=True)
class _DayCounts:
    shown: int = 0
    claimed: int = 0
    redeemed: int = 0


def daily(offers: Iterable[OfferShown], coupons: Iterable[IssuedCoupon], *, now: datetime, starts_at: datetime,
          ends_at: datetime, tz: str = "Asia/Shanghai", orders: Iterable[CampaignOrder] = ()) -> list[Day]:
    """Offers shown, coupons claimed (by issue time) and redeemed (by order time; orders discounted at checkout
    too) per day of the span; what falls outside the span (a coupon without an issue time, a redemption after the
    campaign ended) is left out here and still counted in the totals."""
    span = day_span(now, starts_at, ends_at, tz)
    if not span:
        return []
    zone = ZoneInfo(tz)
    days = {d: _DayCounts() for d in span}

    def bucket(at: datetime | None) -> _DayCounts | None:
        return days.get(at.astimezone(zone).date()) if at is not None else None

    for offer in offers:
        if (b := bucket(offer.at)) is not None:
            b.shown += 1
    for coupon in coupons:
        if (b := bucket(coupon.issued_at)) is not None:
            b.claimed += 1
        if coupon.redeemed and (b := bucket(coupon.redeemed_at)) is not None:
            b.redeemed += 1
    for order in orders:
        if (b := bucket(order.placed_at)) is not None:
            b.redeemed += 1
    return [Day(d, c.shown, c.claimed, c.redeemed) for d, c in days.items()]
