"""Campaign management over HTTP: marketers and supervisors create, edit, pause, resume and end campaigns,
refusals name the fields that are wrong, every change is in the audit trail with who and why, operators are
kept out — and a paused campaign's coupon cannot be claimed in chat until it is resumed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.server.console_support import login, say, start_chat

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)
BASE = "/api/operator/campaigns"


def campaign(**overrides: Any) -> dict[str, Any]:
    body = {"name_zh": "周末满减", "name_en": "Weekend deal", "kind": "weekend",
            "starts_at": (NOW - timedelta(days=1)).isoformat(), "ends_at": (NOW + timedelta(days=6)).isoformat(),
            "rules": {"type": "threshold", "tiers": [{"min_spend": 300, "discount": 50},
                                                     {"min_spend": 600, "discount": 120}],
                      "exclude_categories": ["gift_card"]},
            "budget": "5000", "note": "weekend push"}
    return {**body, **overrides}


@pytest.fixture
def staff(client: TestClient, accounts: dict[str, str]) -> dict[str, dict[str, str]]:
    return {role: login(client, username) for role, username in accounts.items()}


def test_only_marketers_and_supervisors_manage_campaigns(client: TestClient, staff) -> None:
    assert client.get(BASE).status_code == 401
    for role in ("operator", "operator2"):
        r = client.post(BASE, json=campaign(), headers=staff[role])
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_role"
        assert client.get(BASE, headers=staff[role]).status_code == 403
    for role in ("marketer", "supervisor"):
        r = client.get(BASE, headers=staff[role])
        assert r.status_code == 200 and {c["id"] for c in r.json()["campaigns"]} >= {"year_end", "new_customer"}


def test_create_then_read_it_with_its_audit_entry(client: TestClient, staff, accounts) -> None:
    r = client.post(BASE, json=campaign(id="weekend_a"), headers=staff["marketer"])
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["id"], body["status"], body["running"], body["budget"], body["spent"], body["budget_left"]) == (
        "weekend_a", "active", True, "5000.00", "0.00", "5000.00")
    assert body["rules"]["tiers"] == [{"min_spend": 300, "discount": 50}, {"min_spend": 600, "discount": 120}]
    [entry] = body["changes"]
    assert (entry["actor"], entry["actor_role"], entry["action"], entry["note"]) == (
        accounts["marketer"], "marketer", "create", "weekend push")
    assert entry["changes"]["budget"] == {"from": None, "to": "5000.00"}
    assert client.get(f"{BASE}/weekend_a", headers=staff["supervisor"]).json() == body
    again = client.post(BASE, json=campaign(id="weekend_a"), headers=staff["marketer"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "campaign_exists"
    made_up = client.post(BASE, json=campaign(), headers=staff["marketer"]).json()
    assert made_up["id"].startswith("c") and len(made_up["id"]) == 9


@pytest.mark.parametrize(("change", "said"), [
    ({"rules": {"type": "threshold", "tiers": [{"min_spend": 300, "discount": 50},
                                               {"min_spend": 200, "discount": 80}]}},
     "rules.tiers: tier 2 (min_spend 200) must ask more than tier 1 (300)"),
    ({"rules": {"type": "coupon", "discount": 300, "min_spend": 199}}, "rules: discount: must be less than min_spend"),
    ({"ends_at": (NOW - timedelta(days=2)).isoformat()}, "ends_at: must be after starts_at"),
    ({"segments": ["vip"], "budget": "-5"}, "budget: Input should be greater than 0; segments.0: Input should be"),
])
def test_invalid_campaigns_are_refused_with_what_is_wrong(client: TestClient, staff, change, said) -> None:
    r = client.post(BASE, json=campaign(**change), headers=staff["marketer"])
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
    assert said in r.json()["error"]["message"], r.json()


def test_what_only_the_store_knows_is_checked_too(client: TestClient, staff) -> None:
    rules = {"type": "percent_off", "percent_off": 10, "categories": ["coffee_beans", "moon_rocks"],
             "products": ["P9999"]}
    r = client.post(BASE, json=campaign(rules=rules), headers=staff["marketer"])
    assert r.status_code == 422 and r.json()["error"] == {
        "code": "invalid_campaign",
        "message": "rules.categories: no such category: moon_rocks; rules.products: no such product: P9999"}


def test_edits_pause_resume_end_each_in_the_audit_trail(client: TestClient, staff, accounts) -> None:
    client.post(BASE, json=campaign(id="weekend_b"), headers=staff["marketer"])
    r = client.patch(f"{BASE}/weekend_b", json={"budget": "8000", "name_en": "Weekend sale", "note": "bigger"},
                     headers=staff["supervisor"])
    assert r.status_code == 200, r.text
    assert r.json()["budget"] == "8000.00" and r.json()["name_en"] == "Weekend sale"
    edit = r.json()["changes"][0]
    assert (edit["action"], edit["actor"], edit["note"]) == ("update", accounts["supervisor"], "bigger")
    assert edit["changes"] == {"budget": {"from": "5000.00", "to": "8000.00"},
                               "name_en": {"from": "Weekend deal", "to": "Weekend sale"}}
    bad = client.patch(f"{BASE}/weekend_b", json={"ends_at": (NOW - timedelta(days=3)).isoformat()},
                       headers=staff["marketer"])
    assert bad.status_code == 422 and bad.json()["error"] == {"code": "invalid_campaign",
                                                              "message": "ends_at: must be after starts_at"}
    steps = [("pause", 200, "paused"), ("pause", 409, "campaign_paused"), ("resume", 200, "active"),
             ("resume", 409, "campaign_active"), ("end", 200, "ended"), ("resume", 409, "campaign_ended")]
    for action, status, expect in steps:
        r = client.post(f"{BASE}/weekend_b/{action}", json={"note": f"{action} it"}, headers=staff["marketer"])
        assert r.status_code == status, (action, r.text)
        assert (r.json()["status"] if status == 200 else r.json()["error"]["code"]) == expect
    late = client.patch(f"{BASE}/weekend_b", json={"budget": "9000"}, headers=staff["marketer"])
    assert late.status_code == 409 and late.json()["error"]["code"] == "campaign_ended"
    trail = client.get(f"{BASE}/weekend_b", headers=staff["marketer"]).json()["changes"]
    assert [c["action"] for c in trail] == ["end", "resume", "pause", "update", "create"]
    assert trail[0]["changes"] == {"status": {"from": "active", "to": "ended"}} and trail[0]["note"] == "end it"
    ended = client.get(BASE, params={"status": "ended"}, headers=staff["marketer"]).json()["campaigns"]
    assert "weekend_b" in {c["id"] for c in ended} and all(c["status"] == "ended" for c in ended)
    assert client.get(f"{BASE}/nope", headers=staff["marketer"]).status_code == 404
    assert client.post(f"{BASE}/weekend_b/pause", json={"colour": 1}, headers=staff["marketer"]).status_code == 422


def test_a_paused_coupon_cannot_be_claimed_in_chat_until_resumed(client: TestClient, staff) -> None:
    coupon = {"type": "coupon", "discount": 15, "min_spend": 150, "keywords": ["周末券", "weekend coupon"]}
    r = client.post(BASE, json=campaign(id="weekend_c", rules=coupon, budget="30"), headers=staff["marketer"])
    assert r.status_code == 201 and r.json()["per_customer_limit"] == 1
    client.post(f"{BASE}/weekend_c/pause", json={}, headers=staff["marketer"])
    cid, token = start_chat(client, "C00003", "zh")
    refused = say(client, cid, token, "领取周末券")["reply"]
    assert refused["text"].startswith("「周末满减」暂停了") and not refused["cards"]
    client.post(f"{BASE}/weekend_c/resume", json={}, headers=staff["marketer"])
    got = say(client, cid, token, "领取周末券")["reply"]
    assert got["text"].startswith("已为您领取「周末满减」：满150减15") and got["cards"][0]["code"].startswith("CP")
    after = client.get(f"{BASE}/weekend_c", headers=staff["marketer"]).json()
    assert (after["coupons_issued"], after["spent"], after["budget_left"]) == (1, "15.00", "15.00")
