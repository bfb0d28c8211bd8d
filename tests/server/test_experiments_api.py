"""Experiments over HTTP: a marketer defines one on a campaign (refusals name what is wrong), customers offered
the campaign in chat are assigned once and get their arm (a threshold arm's coupon asks the arm's minimum
spend), and the readout counts each arm's customers and claims with intervals and a sample-size note."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from server.db.models import Coupon, ExperimentAssignment
from tests.server.console_support import login, say, start_chat

pytestmark = pytest.mark.integration

BASE = "/api/operator/experiments"


def experiment(**over: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    body = {"id": "coupon_floor", "name": "Year-end coupon at ¥249", "campaign_id": "year_end_coupon",
            "metric": "claimed", "arms": [{"key": "control", "label": "¥299"},
                                          {"key": "low", "label": "¥249", "threshold": 249}],
            "starts_at": (now - timedelta(hours=1)).isoformat(), "ends_at": (now + timedelta(days=14)).isoformat(),
            "min_detectable_effect": 0.05, "note": "does a lower floor get more claims?"}
    return {**body, **over}


def test_an_experiment_from_definition_to_readout(client: TestClient, accounts) -> None:
    marketer = login(client, accounts["marketer"])
    for over, code, said in (
        ({"campaign_id": "moon"}, "invalid_experiment", "campaign_id: no such campaign: moon"),
        ({"arms": [{"key": "a"}, {"key": "b", "threshold": 20}]}, "invalid_experiment", "arms.1.threshold"),
        ({"arms": [{"key": "a"}, {"key": "b", "offer_id": "nope"}]}, "invalid_experiment", "no such campaign: nope"),
        ({"arms": [{"key": "a"}]}, "invalid_request", "arms"),
    ):
        r = client.post(BASE, json=experiment(**over), headers=marketer)
        assert r.status_code == 422 and r.json()["error"]["code"] == code, r.text
        assert said in r.json()["error"]["message"], r.text
    r = client.post(BASE, json=experiment(), headers=marketer)
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["status"], made["running"], made["created_by"], made["assigned"]) == (
        "running", True, accounts["marketer"], {})
    assert made["arms"][1]["threshold"] == "249.00"
    again = client.post(BASE, json=experiment(id="second"), headers=marketer)
    assert again.status_code == 409 and again.json()["error"]["code"] == "experiment_running"

    # customers offered the coupon in chat are assigned, once each
    arms = {}
    for customer in ("C00001", "C00002", "C00003", "C00004"):
        cid, token = start_chat(client, customer)
        say(client, cid, token, "what deals do you have")
        say(client, cid, token, "any other deals?")
        events = client.get(f"/api/conversations/{cid}/events",
                            headers={"Authorization": f"Bearer {token}"}).json()["events"]
        assigned = [e for e in events if e["type"] == "experiment_assigned"  # (the demo's own trade-in one aside)
                    and e["payload"]["campaign_id"] == "year_end_coupon"]
        assert len(assigned) == 1 and assigned[0]["payload"]["experiment_id"] == "coupon_floor", events
        arms[customer] = assigned[0]["payload"]["arm"]
        offers = [e["payload"] for e in events if e["type"] == "offer_made"
                  and e["payload"]["offer_id"] == "year_end_coupon"]
        assert offers and offers[0]["policy"]["experiment"] == {"id": "coupon_floor", "arm": arms[customer]}
    assert sorted(arms.values()) == ["control", "control", "low", "low"] or len(set(arms.values())) == 2
    runtime = client.app.state.runtime
    with runtime.sessions() as s:
        assert s.scalar(select(ExperimentAssignment.arm).where(ExperimentAssignment.customer_id == "C00001",
                                                               ExperimentAssignment.experiment_id == "coupon_floor")) \
            == arms["C00001"]  # (the demo's own trade-in experiment may hold C00001 too)

    # a claim in the low arm asks the arm's ¥249
    low = next(c for c, a in arms.items() if a == "low")
    cid, token = start_chat(client, low)
    reply = say(client, cid, token, "claim the year-end coupon")["reply"]
    assert any(card.get("min_spend") == "249.00" for card in reply["cards"]), reply
    with runtime.sessions() as s:
        assert s.scalar(select(Coupon.min_spend).where(Coupon.customer_id == low,
                                                       Coupon.campaign_id == "year_end_coupon")) == 249

    r = client.get(f"{BASE}/coupon_floor/readout", headers=login(client, accounts["supervisor"]))
    assert r.status_code == 200, r.text
    out = r.json()
    by_arm = {a["key"]: a for a in out["arms"]}
    assert sum(a["customers"] for a in out["arms"]) == 4 and by_arm["low"]["conversions"] >= 1
    [comparison] = out["comparisons"]
    assert comparison["arm"] == "low" and comparison["control"] == "control" and comparison["needed_for_mde"] > 4
    assert comparison["absolute_low"] <= comparison["absolute"] <= comparison["absolute_high"]
    assert out["note"]["en"] and out["note"]["zh"] and out["experiment"]["id"] == "coupon_floor"
    assert sum(a["customers"] for row in out["strata"] for a in row["arms"]) == 4

    # the campaign's readout in the console shows the experiment with the same figures
    shown = client.get("/api/operator/campaigns/year_end_coupon/readout", headers=marketer).json()["experiments"]
    assert [(x["id"], sum(a["n"] for a in x["arms"])) for x in shown] == [("coupon_floor", 4)]
    assert shown[0]["uplift"]["abs"] == pytest.approx(comparison["absolute"]) and shown[0]["note"] == out["note"]

    listed = client.get(BASE, params={"campaign_id": "year_end_coupon"}, headers=marketer).json()["experiments"]
    assert [e["id"] for e in listed] == ["coupon_floor"] and sum(listed[0]["assigned"].values()) == 4
    stopped = client.post(f"{BASE}/coupon_floor/stop", json={"note": "enough"}, headers=marketer).json()
    assert stopped["status"] == "stopped" and stopped["stopped_by"] == accounts["marketer"] and not stopped["running"]
    assert client.get(f"{BASE}/nope/readout", headers=marketer).status_code == 404
    # a stopped experiment assigns nobody more
    cid, token = start_chat(client, "C00005")
    say(client, cid, token, "what deals do you have")
    with runtime.sessions() as s:
        assert s.scalar(select(ExperimentAssignment.arm).where(ExperimentAssignment.customer_id == "C00005",
                                                               ExperimentAssignment.experiment_id == "coupon_floor")) \
            is None
