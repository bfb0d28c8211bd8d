"""Campaign records as the copy writer sees them (`agent.tasks.campaign_copy.CampaignFacts`)."""

from __future__ import annotations

from datetime import UTC, datetime

from agent.tasks.campaign_copy import CampaignFacts

DOUBLE11 = CampaignFacts(
    id="double11",
    name_zh="双十一狂欢节",
    name_en="Singles' Day Sale",
    starts_at=datetime(2026, 10, 31, 16, tzinfo=UTC),
    ends_at=datetime(2026, 11, 11, 15, 59, 59, tzinfo=UTC),
    rules={
        "type": "threshold",
        "tiers": [{"min_spend": 300, "discount": 30}, {"min_spend": 1000, "discount": 120}],
        "exclude_categories": ["gift_card"],
    },
    categories={"gift_card": ("礼品卡", "gift cards")},
)
WINTER = CampaignFacts(
    id="winter_refresh",
    name_zh="冬季焕新季",
    name_en="Winter refresh",
    starts_at=datetime(2026, 11, 13, tzinfo=UTC),
    ends_at=datetime(2026, 12, 11, tzinfo=UTC),
    rules={"type": "percent_off", "categories": ["coffee_beans"], "percent_off": 10},
    categories={"coffee_beans": ("咖啡豆", "coffee beans")},
)
