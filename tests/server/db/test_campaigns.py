"""`CampaignRepository` on SQLite and PostgreSQL: a campaign stored with its audit entries, coupon counts,
status moves, and the copy task's record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from server.db.campaigns import Actor, CampaignExists, CampaignRepository
from server.db.models import Coupon, Customer

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
VALUES = {"name_zh": "年终满减", "name_en": "Year-end sale", "kind": "seasonal", "starts_at": NOW,
          "ends_at": NOW + timedelta(days=10), "rules": {"type": "coupon", "discount": 30, "min_spend": 299},
          "budget": Decimal("600"), "per_customer_limit": 1, "segments": ["gold"]}


def test_a_campaign_with_its_trail_and_counts(sessions: sessionmaker[Session]) -> None:
    repo = CampaignRepository(sessions)
    amy, bo = Actor("amy", "marketer", "launch"), Actor("bo", "supervisor", "more budget")
    created = repo.create("year_end", VALUES, amy, NOW)
    assert (created["status"], created["spent"], created["coupons_issued"], created["segments"]) == (
        "active", Decimal("0"), 0, ["gold"])
    with pytest.raises(CampaignExists):
        repo.create("year_end", VALUES, amy, NOW)
    with sessions.begin() as s:
        s.add(Customer(id="C1", name="c", language="zh", email="", phone="", address="", tier="gold", created_at=NOW))
        s.flush()
        s.add_all([Coupon(code=f"CP{i}", campaign_id="year_end", customer_id="C1", discount=Decimal(30),
                          min_spend=Decimal(299), expires_at=NOW, status=status)
                   for i, status in enumerate(("issued", "used", "used"))])
    updated = repo.update("year_end", {"budget": Decimal("900"), "name_en": "Year-end sale"}, bo,
                          NOW + timedelta(hours=1))
    assert updated["budget"] == Decimal("900") and (updated["coupons_issued"], updated["coupons_used"]) == (3, 2)
    repo.update("year_end", {"name_en": "Year-end sale"}, bo, NOW + timedelta(hours=2))  # no change, no entry
    paused = repo.set_status("year_end", "paused", "pause", amy, NOW + timedelta(hours=3))
    assert paused["status"] == "paused"
    trail = repo.changes("year_end")
    assert [(c["action"], c["actor"], c["actor_role"]) for c in trail] == [
        ("pause", "amy", "marketer"), ("update", "bo", "supervisor"), ("create", "amy", "marketer")]
    assert trail[1]["changes"] == {"budget": {"from": "600.00", "to": "900.00"}} and trail[1]["note"] == "more budget"
    assert trail[2]["changes"]["rules"] == {"from": None, "to": VALUES["rules"]}
    assert [r["id"] for r in repo.list(status="paused")] == ["year_end"] and repo.list(status="ended") == []
    copy = repo.get("year_end")
    assert copy is not None and copy["segments"] == ["gold"] and copy["rules"]["discount"] == 30
