"""Customer insight over HTTP on the wired server (a demo store with reviews and browsing): an operator reads a
customer's profile (segment, RFM, needs with their words, categories by name, churn risk and why); marketers and
supervisors read the at-risk list, riskiest first, operators may not; a signed-in customer's conversation starts with
the store's note of who they are, which the customer's own event list shows without its contents."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from server.operators.insight import HIGH_RISK
from tests.server.console_support import login, small_store, start_chat

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return small_store(tmp_path_factory, "insight", customers=80, orders=800)


def test_profiles_churn_list_and_roles(client: TestClient, accounts: dict[str, str]) -> None:
    staff = {role: login(client, name) for role, name in accounts.items()}
    r = client.get("/api/operator/customers/C00001/profile", headers=staff["operator"])
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["customer_id"] == "C00001" and p["segment"] in {"champions", "loyal", "potential_loyalist", "new",
                                                              "promising", "need_attention", "about_to_sleep"}
    assert set(p["rfm"]) >= {"r", "f", "m", "recency_days", "frequency", "monetary"} and p["rfm"]["frequency"] >= 3
    assert p["categories"] and all(c["name_zh"] and c["name_en"] for c in p["categories"])
    assert p["reviews"] > 0 and p["needs"] and all(n["words"] and n["count"] >= 1 for n in p["needs"])
    assert p["needs"] == sorted(p["needs"], key=lambda n: -n["count"])
    assert 0 <= p["churn"]["risk"] <= 1 and p["churn"]["horizon_days"] == 60
    assert client.get("/api/operator/customers/C00001/profile", headers=staff["marketer"]).status_code == 200
    missing = client.get("/api/operator/customers/C99999/profile", headers=staff["operator"])
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_customer"
    assert client.get("/api/operator/customers/C00001/profile").status_code == 401

    listed = client.get("/api/operator/marketing/churn?limit=20", headers=staff["marketer"])
    assert listed.status_code == 200, listed.text
    body = listed.json()
    risks = [c["risk"] for c in body["customers"]]
    assert len(risks) == 20 and risks == sorted(risks, reverse=True) and body["trained_on"] > 100
    assert all(c["name"] and c["orders"] >= 1 and isinstance(c["reasons"], list) for c in body["customers"])
    assert client.get("/api/operator/marketing/churn", headers=staff["supervisor"]).status_code == 200
    denied = client.get("/api/operator/marketing/churn", headers=staff["operator"])
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden_role"
    bad = client.get("/api/operator/marketing/churn?segment=nobody", headers=staff["marketer"])
    assert bad.status_code == 422
    sleeping = client.get("/api/operator/marketing/churn?segment=hibernating", headers=staff["marketer"]).json()
    assert all(c["segment"] == "hibernating" for c in sleeping["customers"])

    # a conversation with a known customer starts with their profile, for the policy (insight is warm by now)
    riskiest = body["customers"][0]
    cid, token = start_chat(client, riskiest["customer_id"], "zh")
    stored = asyncio.run(client.app.state.runtime.agent.store.load(cid))  # the log as the bot and the console read it
    noted = [e for e in stored if e.type == "customer_profiled"]
    assert len(noted) == 1 and noted[0].segment == riskiest["segment"]
    assert noted[0].churn_risk == pytest.approx(riskiest["risk"], abs=0.002)
    assert noted[0].keep == (riskiest["risk"] >= HIGH_RISK)
    mine = client.get(f"/api/conversations/{cid}/events", headers={"Authorization": f"Bearer {token}"}).json()
    shown = [e for e in mine["events"] if e["type"] == "customer_profiled"]
    assert shown and shown[0]["payload"] == {}  # the store's view of the customer is not theirs to read
