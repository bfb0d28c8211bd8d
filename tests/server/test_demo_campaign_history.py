"""The demo store's past campaigns: the same for a seed, spread over the year before the store's date clear of the
festivals and of the live campaigns' weeks, of every kind the forecast learns from, and planted with a lift that
grows with depth and shrinks with threshold and scope."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from server.demo.campaign_history import BEIJING, QUIET_DAYS, offer_lift, order_lift, past_campaigns
from tools.marketing.campaigns import Campaign

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def test_past_campaigns_are_the_same_for_a_seed_and_cover_the_year() -> None:
    rows = past_campaigns(random.Random("kefu-demo:7:past_campaigns"), NOW)
    again = past_campaigns(random.Random("kefu-demo:7:past_campaigns"), NOW)
    assert rows == again and len(rows) >= 10
    assert rows != past_campaigns(random.Random("kefu-demo:8:past_campaigns"), NOW)
    for row in rows:
        Campaign.model_validate({**row, "status": "ended"})  # the store's own rules accept them
        first, last = row["starts_at"].astimezone(BEIJING).date(), row["ends_at"].astimezone(BEIJING).date()
        assert NOW.date() - timedelta(days=366) <= first <= last <= NOW.date() - timedelta(days=QUIET_DAYS)
        for k in range((last - first).days + 1):
            day = first + timedelta(days=k)
            assert not (day.month == 11 and day.day <= 11) and not (day.month == 6 and day.day <= 18), row["id"]
    assert all(a["ends_at"] < b["starts_at"] for a, b in pairwise(rows))
    kinds = {(r["rules"]["type"], bool(r["rules"].get("categories"))) for r in rows}
    assert kinds == {("threshold", False), ("threshold", True), ("percent_off", False), ("percent_off", True)}


def test_the_planted_lift_follows_the_offer() -> None:
    assert offer_lift("full_reduction", 300, 50, 1.0) > offer_lift("full_reduction", 300, 30, 1.0) > 0
    assert offer_lift("full_reduction", 1000, 100, 1.0) < offer_lift("full_reduction", 300, 30, 1.0)
    assert offer_lift("percent_off", None, 10, 0.2) < offer_lift("percent_off", None, 10, 1.0)
    rows = past_campaigns(random.Random("kefu-demo:7:past_campaigns"), NOW)
    lift = order_lift(rows)
    first = rows[0]["starts_at"].astimezone(BEIJING).date()
    assert lift[first] > 1 and first - timedelta(days=1) not in lift
