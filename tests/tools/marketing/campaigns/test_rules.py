"""Campaign rules as marketers write them: what is accepted, and the message for what is not."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from tools.marketing.campaigns import CampaignRules, CampaignSpec, validation_messages

pytestmark = pytest.mark.unit

START, END = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 12, 16, tzinfo=UTC)


def messages(model: type, data: dict) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return validation_messages(caught.value)


def spec(**rules_and_fields) -> dict:
    fields = {k: rules_and_fields.pop(k) for k in list(rules_and_fields) if k in CampaignSpec.model_fields}
    return {"name_zh": "年终满减", "name_en": "Year-end sale", "starts_at": START.isoformat(),
            "ends_at": END.isoformat(), "rules": rules_and_fields, **fields}


def test_a_threshold_campaign_with_tiers_scope_and_exclusions() -> None:
    rules = CampaignRules.model_validate({"type": "threshold", "tiers": [{"min_spend": 300, "discount": 50},
                                                                        {"min_spend": "600", "discount": 120}],
                                          "exclude_categories": ["gift_card"]})
    assert [(t.min_spend, t.discount) for t in rules.tiers] == [(300, 50), (600, 120)]
    assert rules.automatic and rules.data() == {"type": "threshold", "exclude_categories": ["gift_card"],
                                                "tiers": [{"min_spend": 300, "discount": 50},
                                                          {"min_spend": 600, "discount": 120}]}


@pytest.mark.parametrize(("rules", "message"), [
    ({"type": "threshold"}, "tiers: a threshold campaign needs at least one tier"),
    ({"type": "threshold", "tiers": [{"min_spend": 300, "discount": 50}, {"min_spend": 200, "discount": 60}]},
     "rules.tiers: tier 2 (min_spend 200) must ask more than tier 1 (300)"),
    ({"type": "threshold", "tiers": [{"min_spend": 300, "discount": 50}, {"min_spend": 600, "discount": 40}]},
     "rules.tiers: tier 2 (min_spend 600) must give more than tier 1"),
    ({"type": "threshold", "tiers": [{"min_spend": 300, "discount": 300}]},
     "rules.tiers.0: discount: must be less than min_spend"),
    ({"type": "threshold", "tiers": [{"min_spend": 300, "discount": 50.005}]}, "rules.tiers.0.discount:"),
    ({"type": "percent_off"}, "percent_off: a percent_off campaign needs percent_off"),
    ({"type": "percent_off", "percent_off": 100}, "rules.percent_off: Input should be less than 100"),
    ({"type": "percent_off", "percent_off": 10, "tiers": [{"min_spend": 300, "discount": 50}]},
     "tiers: does not apply to a percent_off campaign"),
    ({"type": "coupon", "min_spend": 199}, "discount: a coupon campaign needs the coupon's face value"),
    ({"type": "coupon", "discount": 200, "min_spend": 199}, "discount: must be less than min_spend (200 off 199)"),
    ({"type": "threshold", "tiers": [{"min_spend": 300, "discount": 50}], "min_spend": 100},
     "min_spend: does not apply to a threshold campaign"),
    ({"type": "percent_off", "percent_off": 10, "categories": ["phone"], "exclude_categories": ["phone"]},
     "exclude_categories: phone is both included (categories) and excluded"),
    ({"type": "coupon", "discount": 20, "day_of_month": 31}, "rules.day_of_month: Input should be less than or "
                                                             "equal to 28"),
    ({"type": "coupon", "discount": 20, "colour": "red"}, "rules.colour: Extra inputs are not permitted"),
])
def test_invalid_rules_say_what_is_wrong(rules: dict, message: str) -> None:
    said = messages(CampaignSpec, spec(**rules))
    assert any(m.startswith(message) or message in m for m in said), said


def test_campaign_fields_are_checked_too() -> None:
    said = messages(CampaignSpec, {**spec(type="coupon", discount=20, min_spend=199), "ends_at": START.isoformat(),
                                   "segments": ["gold", "vip"]})
    assert any(m.startswith("segments.1: Input should be 'new_customer'") for m in said), said
    assert messages(CampaignSpec, spec(type="coupon", discount=20, budget=10)) == [
        "budget: is less than one coupon (20)"]
    assert messages(CampaignSpec, {**spec(type="coupon", discount=20), "ends_at": START.isoformat()}) == [
        "ends_at: must be after starts_at"]
    assert messages(CampaignSpec, {**spec(type="coupon", discount=20), "starts_at": "2026-12-01T00:00:00"})[0] \
        .startswith("starts_at: Input should have timezone info")


def test_a_coupon_is_once_per_customer_unless_the_marketer_says_more() -> None:
    once = CampaignSpec.model_validate(spec(type="coupon", discount=20, min_spend=199, valid_days=30))
    thrice = CampaignSpec.model_validate(spec(type="coupon", discount=20, per_customer_limit=3))
    sale = CampaignSpec.model_validate(spec(type="percent_off", percent_off="12.5"))
    assert (once.per_customer_limit, thrice.per_customer_limit, sale.per_customer_limit) == (1, 3, None)
    assert sale.rules.percent_off == Decimal("12.5") and sale.rules.data()["percent_off"] == 12.5
