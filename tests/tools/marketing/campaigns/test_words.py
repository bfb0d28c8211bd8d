"""Reading which campaign and which amounts a customer's words ask for."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tests.fakes.offers import demo_campaigns
from tools.marketing.campaigns.conversation import campaigns_from
from tools.marketing.campaigns.words import amounts, coupon_matches_amounts, named_campaigns

pytestmark = pytest.mark.unit

CAMPAIGNS = campaigns_from(demo_campaigns())


@pytest.mark.parametrize(("text", "found"), [
    ("给我一张100元优惠券", {D(100)}), ("give me a 100-yuan coupon", {D(100)}), ("一百块的券", {D(100)}),
    ("满300减50怎么用", {D(300), D(50)}), ("¥20 off", {D(20)}), ("RMB 30 coupon", {D(30)}),
    ("领取新人券", set()), ("领两张券", set()), ("10% off", set()),
])
def test_amounts(text: str, found: set) -> None:
    assert amounts(text) == found


@pytest.mark.parametrize(("text", "ids"), [
    ("领取新人券", ["welcome"]), ("Claim the welcome coupon", ["welcome"]), ("新人专享券怎么用", ["welcome"]),
    ("满300减50怎么用", ["year_end"]), ("满600减120", ["year_end"]), ("满299减30的券", ["year_coupon"]),
    ("有什么优惠", []), ("满100减50", []),
])
def test_named_campaigns(text: str, ids: list[str]) -> None:
    assert [c.id for c in named_campaigns(text, CAMPAIGNS)] == ids


def test_a_coupon_matches_only_its_own_terms() -> None:
    welcome = next(c for c in CAMPAIGNS if c.id == "welcome")
    assert coupon_matches_amounts(welcome, "a ¥20 coupon") and coupon_matches_amounts(welcome, "满199减20的券")
    assert coupon_matches_amounts(welcome, "the coupon for orders of ¥199")
    assert not coupon_matches_amounts(welcome, "100元的券") and not coupon_matches_amounts(welcome, "满20减199")
    limited = next(c for c in CAMPAIGNS if c.id == "last_one")  # ¥10 off ¥100
    assert not coupon_matches_amounts(limited, "give me a 100-yuan coupon")
    assert coupon_matches_amounts(limited, "满100减10")
