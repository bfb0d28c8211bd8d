"""Threshold arithmetic with exact amounts: scope, tiers, percent off, coupons after the campaign discount."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tests.fakes.offers import demo_campaigns
from tools.marketing.campaigns import CampaignRules, Line, after_discount, progress
from tools.marketing.campaigns.conversation import campaigns_from
from tools.marketing.campaigns.thresholds import best_campaign, coupon_progress, tier_progress
from tools.marketing.campaigns.wording import progress_text

pytestmark = pytest.mark.unit

YEAR_END = CampaignRules(type="threshold", tiers=[{"min_spend": 300, "discount": 50},
                                                  {"min_spend": 600, "discount": 120}],
                         exclude_categories=["gift_card"])
BASKET = [Line("P0002", "phone_case", D("59.00")), Line("P0005", "phone_case", D("204.00")),
          Line("G0001", "gift_card", D("200.00"))]


def test_the_next_tier_and_how_much_more_it_needs() -> None:
    p = progress(YEAR_END, BASKET)  # the gift card does not count: 59 + 204 = 263
    assert (p.amount, p.saving, p.reached, p.short) == (D("263.00"), D("0.00"), None, D("37.00"))
    assert (p.next.min_spend, p.next.discount) == (300, 50)
    assert progress_text(YEAR_END, p, "zh") == "再买¥37就能用满300减50"
    assert progress_text(YEAR_END, p, "en") == "add ¥37 more to get ¥50 off ¥300"


def test_a_reached_tier_points_at_the_one_above_and_the_top_tier_at_none() -> None:
    mid = tier_progress(YEAR_END.tiers, D("412.50"))
    assert (mid.saving, mid.reached.min_spend, mid.next.min_spend, mid.short) == (D("50.00"), 300, 600, D("187.50"))
    assert progress_text(YEAR_END, mid, "zh") == "已满300减50，再买¥187.50可享满600减120"
    top = tier_progress(YEAR_END.tiers, D("600"))
    assert (top.saving, top.reached.min_spend, top.next, top.short) == (D("120.00"), 600, None, None)
    assert progress_text(YEAR_END, top, "en") == "¥120 off ¥600 reached (the top tier)"


def test_scope_by_category_and_product_and_percent_off() -> None:
    coffee = CampaignRules(type="percent_off", percent_off=D("12.5"), categories=["coffee_beans"],
                           products=["P0002"])
    basket = [*BASKET, Line("P0003", "coffee_beans", D("88.00"))]
    p = progress(coffee, basket)  # 59 (named product) + 88 (category) = 147; 12.5% = 18.375 -> 18.38
    assert (p.amount, p.saving) == (D("147.00"), D("18.38"))
    assert progress_text(coffee, p, "zh") == "可省¥18.38"
    none = progress(coffee, [Line("G0001", "gift_card", D("200"))])
    assert (none.amount, none.saving) == (D("0.00"), D("0.00"))
    assert progress_text(coffee, none, "en") == "nothing in it takes part yet"


def test_coupon_threshold_counts_after_the_campaign_discount() -> None:
    basket = [Line("A", "phone_case", D("200.00")), Line("B", "coffee_beans", D("110.00"))]
    gross = progress(YEAR_END, basket)
    assert (gross.amount, gross.saving) == (D("310.00"), D("50.00"))
    net = after_discount(basket, YEAR_END, gross.saving)
    # 50 spread by price: 200/310 -> 32.26, the last item takes the rest (17.74)
    assert [line.amount for line in net] == [D("167.74"), D("92.26")]
    assert sum(line.amount for line in net) == D("260.00")
    coupon = CampaignRules(type="coupon", discount=30, min_spend=299)
    before, after = progress(coupon, basket), progress(coupon, net)
    assert before.usable and before.saving == D("30.00")
    assert not after.usable and after.short == D("39.00")
    assert progress_text(coupon, after, "zh", net=True) == "再买¥39就能用（按活动优惠后的金额算）"


def test_a_coupon_never_takes_off_more_than_its_items_cost_and_one_without_minimum() -> None:
    assert coupon_progress(D("0"), D("20"), D("15.50")).saving == D("15.50")
    free = CampaignRules(type="coupon", discount=20)
    empty = progress(free, [])
    assert empty.short is None and progress_text(free, empty, "zh") == "买任意适用商品就能用"


def test_checkout_applies_the_campaign_that_saves_the_most() -> None:
    campaigns = [c for c in campaigns_from(demo_campaigns()) if c.id in ("year_end", "winter")]
    coffee = [Line("P0003", "coffee_beans", D("88.00"))]
    best = best_campaign(campaigns, coffee)  # 满减 not reached; 10% of 88 = 8.80
    assert best is not None and best[0].id == "winter" and best[1].saving == D("8.80")
    big = [*coffee, Line("P0001", "phone", D("3999.00"))]
    best = best_campaign(campaigns, big)  # 满600减120 beats 8.80
    assert best is not None and best[0].id == "year_end" and best[1].saving == D("120.00")
    assert best_campaign(campaigns, [Line("G0001", "gift_card", D("999"))]) is None
