"""Who may have which offer now, and the reason when not: window, pause, audience, limit, budget, sign-in."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.fakes.commerce import NOW
from tests.fakes.offers import demo_campaigns
from tools.marketing.campaigns import CustomerProfile, HeldCoupon, claim_refusal, offer_refusal
from tools.marketing.campaigns.conversation import campaigns_from

pytestmark = pytest.mark.unit

CAMPAIGNS = {c.id: c for c in campaigns_from(demo_campaigns())}
GOLD, REGULAR, NEW = CustomerProfile("C1", "gold", 4), CustomerProfile("C2", "regular", 1), \
    CustomerProfile("C9", "regular", 0)
TZ = "Asia/Shanghai"


@pytest.mark.parametrize(("campaign", "customer", "code"), [
    ("year_coupon", None, "coupon_needs_sign_in"),
    ("year_end", REGULAR, "campaign_not_claimable"),
    ("paused", REGULAR, "campaign_paused"),
    ("gone", REGULAR, "campaign_ended"),
    ("soon", REGULAR, "campaign_not_started"),
    ("welcome", REGULAR, "campaign_not_for_you"),
    ("gold_day", REGULAR, "campaign_not_for_you"),
    ("year_coupon", REGULAR, None),
    ("welcome", NEW, None),
    ("gold_day", GOLD, None),
])
def test_claim_refusals(campaign: str, customer: CustomerProfile | None, code: str | None) -> None:
    refusal = claim_refusal(CAMPAIGNS[campaign], customer, [], NOW, TZ)
    assert (refusal.code if refusal else None) == code


def test_the_reasons_carry_the_facts_that_explain_them() -> None:
    ended = claim_refusal(CAMPAIGNS["gone"], REGULAR, [], NOW, TZ)
    assert ended.params["ends_at"] == (NOW - timedelta(days=1)).isoformat() and ended.params["name_zh"] == "双十一券"
    assert claim_refusal(CAMPAIGNS["soon"], REGULAR, [], NOW, TZ).params["starts_at"] == \
        (NOW + timedelta(days=3)).isoformat()
    audience = claim_refusal(CAMPAIGNS["gold_day"], REGULAR, [], NOW, TZ)
    assert audience.params["segments"] == ["gold", "platinum"] and audience.params["tiers"] == ["gold", "platinum"]


def test_the_per_customer_limit_counts_every_coupon_of_the_campaign() -> None:
    held = [HeldCoupon("CPAAAA", "year_coupon", Decimal("30"), Decimal("299"), NOW + timedelta(days=5), "used")]
    refusal = claim_refusal(CAMPAIGNS["year_coupon"], REGULAR, held, NOW, TZ)
    assert refusal.code == "coupon_already_claimed" and refusal.params["coupon_code"] == "CPAAAA"
    assert refusal.params["limit"] == 1


def test_budget_left_for_one_coupon_more_and_no_more() -> None:
    last = CAMPAIGNS["last_one"]  # budget 100, spent 90, coupons of 10
    assert claim_refusal(last, REGULAR, [], NOW, TZ) is None
    spent = last.model_copy(update={"spent": Decimal("95")})
    assert claim_refusal(spent, REGULAR, [], NOW, TZ).code == "campaign_budget_exhausted"
    gone = last.model_copy(update={"spent": Decimal("100")})
    assert offer_refusal(gone, REGULAR, NOW, TZ).code == "campaign_budget_exhausted"


def test_day_of_month_in_the_store_time_zone() -> None:
    member_day = CAMPAIGNS["gold_day"].model_copy(
        update={"rules": CAMPAIGNS["gold_day"].rules.model_copy(update={"day_of_month": 20})})
    assert claim_refusal(member_day, GOLD, [], NOW, TZ) is None  # NOW is Nov 20, 20:00 in Shanghai
    late = NOW + timedelta(hours=4)  # Nov 21, 00:00 in Shanghai, still Nov 20 in UTC
    assert claim_refusal(member_day, GOLD, [], late, TZ).code == "campaign_not_today"


def test_anonymous_visitors_see_public_campaigns_only() -> None:
    assert offer_refusal(CAMPAIGNS["year_end"], None, NOW, TZ) is None
    assert offer_refusal(CAMPAIGNS["welcome"], None, NOW, TZ).code == "campaign_not_for_you"
    assert offer_refusal(CAMPAIGNS["welcome"], NEW, NOW, TZ) is None
