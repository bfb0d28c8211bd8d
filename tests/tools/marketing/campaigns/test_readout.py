"""A campaign's readout on plain rows: the funnel (shown → reached → claimed after the offer; claimed →
redeemed), money, segments at the moment of each row, and the daily series in the store's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tools.marketing.campaigns.readout import (
    CampaignOrder,
    IssuedCoupon,
    OfferShown,
    Shopper,
    day_span,
    readout,
    segments_of,
)

pytestmark = pytest.mark.unit

START = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
END = datetime(2026, 11, 30, tzinfo=UTC)
SHOPPERS = {"C1": Shopper("gold", datetime(2025, 5, 1, tzinfo=UTC)),  # returning
            "C2": Shopper("regular", datetime(2026, 11, 5, tzinfo=UTC)),  # first order on Nov 5
            "C3": Shopper("silver", None)}  # never ordered


def coupon(code: str, who: str, at: datetime | None, key: str | None = None, used: datetime | None = None,
           total: str = "0") -> IssuedCoupon:
    return IssuedCoupon(code, who, Decimal("20"), "used" if used else "issued", at, key, used,
                        Decimal(total) if used else None)


def test_the_funnel_counts_exposures_claims_after_them_and_redemptions() -> None:
    offers = [OfferShown("k1", START + timedelta(days=1), "C1"),
              OfferShown("k1", START + timedelta(days=1, minutes=2), "C1"),
              OfferShown("k2", START + timedelta(days=2), "C2"), OfferShown("k3", START + timedelta(days=3), None),
              OfferShown("k4", START + timedelta(days=6), "C2")]
    coupons = [
        coupon("A", "C1", START + timedelta(days=1, minutes=5), "k1:camp", used=START + timedelta(days=4), total="318"),
        coupon("B", "C2", START + timedelta(days=2, minutes=1), "k2:camp"),
        coupon("C", "C3", None),  # issued by the store: claimed, not after any offer
        coupon("D", "C2", START + timedelta(days=1), "k4:camp"),  # before the offer in k4 was made: not after it
        coupon("E", "C1", START + timedelta(days=2), "k1:other"),  # another campaign's key: not this exposure
    ]
    r = readout("camp", offers, coupons, SHOPPERS, now=NOW, starts_at=START, ends_at=END)
    t = r.total
    assert (t.shown, t.reached, t.claimed_after_offer, t.claimed, t.redeemed) == (5, 4, 2, 5, 1)
    assert t.claim_rate.value == 0.5 and 0 < t.claim_rate.low < 0.5 < t.claim_rate.high < 1
    assert t.redemption_rate.value == pytest.approx(0.2)
    assert (t.discount_claimed, t.discount_redeemed, t.redeemed_sales) == (
        Decimal("100"), Decimal("20"), Decimal("318"))
    by = {(s.dimension, s.key): s.funnel for s in r.segments}
    # C2 was new when k2 was shown (Nov 3) and returning by k4 (Nov 7)
    assert (by["customer", "new_customer"].reached, by["customer", "new_customer"].claimed_after_offer) == (1, 1)
    assert (by["customer", "returning"].reached, by["customer", "returning"].claimed_after_offer) == (2, 1)
    assert by["customer", "anonymous"].reached == 1 and by["tier", "anonymous"].shown == 1
    assert by["tier", "gold"].shown == 2 and by["tier", "gold"].redeemed == 1
    assert [s.key for s in r.segments if s.dimension == "tier"] == ["regular", "silver", "gold", "anonymous"]
    per_day = {d.day: (d.shown, d.claimed, d.redeemed) for d in r.days}
    assert per_day[date(2026, 11, 2)] == (2, 2, 0) and per_day[date(2026, 11, 5)] == (0, 0, 1)
    assert sum(d.shown for d in r.days) == 5 and sum(d.claimed for d in r.days) == 4  # C: no issue time


def test_nothing_to_claim_has_no_claim_rate_and_no_data_no_rates() -> None:
    r = readout("camp", [OfferShown("k", START, "C1")], [], SHOPPERS, now=NOW, starts_at=START, ends_at=END,
                claimable=False)
    assert r.total.claim_rate.value is None and r.total.redemption_rate.value is None and r.total.reached == 1
    empty = readout("camp", [], [], {}, now=NOW, starts_at=START, ends_at=END)
    assert (empty.total.shown, empty.total.claim_rate.value, empty.segments) == (0, None, [])


def test_a_campaign_applied_at_checkout_is_redeemed_by_the_orders_it_discounted() -> None:
    """An automatic 满减 has nothing to claim: the orders that record it (the store's checkout applied it) are its
    redemptions, with what it took off and their totals, in the customer's segment when they ordered."""
    offers = [OfferShown("k1", START + timedelta(days=1), "C1"), OfferShown("k2", START + timedelta(days=2), None)]
    orders = [CampaignOrder("KF1", "C1", START + timedelta(days=1, hours=3), Decimal("50"), Decimal("329")),
              CampaignOrder("KF2", "C2", START + timedelta(days=3), Decimal("120"), Decimal("510")),
              CampaignOrder("KF3", "C3", START + timedelta(days=4), Decimal("50"), Decimal("260"))]
    r = readout("camp", offers, [], SHOPPERS, now=NOW, starts_at=START, ends_at=END, claimable=False, orders=orders)
    t = r.total
    assert (t.shown, t.reached, t.claimed, t.redeemed) == (2, 2, 0, 3)
    assert (t.discount_claimed, t.discount_redeemed, t.redeemed_sales) == (Decimal("0"), Decimal("220"),
                                                                           Decimal("1099"))
    assert t.claim_rate.value is None and t.redemption_rate.value is None  # no claims to rate against
    by = {(s.dimension, s.key): s.funnel for s in r.segments}
    assert by["customer", "new_customer"].redeemed == 2  # C2 before the first order on record, C3 with none
    assert by["customer", "returning"].redeemed == 1 and by["tier", "silver"].redeemed == 1
    per_day = {d.day: d.redeemed for d in r.days}
    assert per_day[date(2026, 11, 2)] == 1 and per_day[date(2026, 11, 4)] == 1 and sum(per_day.values()) == 3
    without = readout("camp", offers, [], SHOPPERS, now=NOW, starts_at=START, ends_at=END, claimable=False)
    assert without.total.redeemed == 0  # what the readout missed before orders recorded their campaign


def test_segments_at_a_moment_and_the_days_covered() -> None:
    assert segments_of(SHOPPERS["C2"], datetime(2026, 11, 4, tzinfo=UTC)) == {"customer": "new_customer",
                                                                              "tier": "regular"}
    assert segments_of(SHOPPERS["C2"], datetime(2026, 11, 6, tzinfo=UTC))["customer"] == "returning"
    assert segments_of(None, NOW) == {"customer": "anonymous", "tier": "anonymous"}
    assert day_span(NOW, END, END + timedelta(days=3), "Asia/Shanghai") == []  # not started
    span = day_span(NOW, START, END, "Asia/Shanghai")
    assert (span[0], span[-1], len(span)) == (date(2026, 11, 1), date(2026, 11, 10), 10)
    long = day_span(NOW, START - timedelta(days=300), END, "Asia/Shanghai")
    assert len(long) == 60 and long[-1] == date(2026, 11, 10)
