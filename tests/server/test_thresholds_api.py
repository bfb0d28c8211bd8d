"""Dynamic thresholds in the running service: a marketer lets the system move a campaign's threshold, offers
in chat record the level in force, the job lowers it when participation runs below target (actor `system`, with
its reason, in the audit trail), the chat's arithmetic uses the new level at once, and the marketer reverts,
pins and unpins it."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from fastapi.testclient import TestClient

from server.operators.thresholds import tune_all
from tests.server.console_support import login, say, start_chat

pytestmark = pytest.mark.integration

CAMPAIGNS = "/api/operator/campaigns"
RULES = {"type": "threshold", "tiers": [{"min_spend": 300, "discount": 50}, {"min_spend": 600, "discount": 120}],
         "exclude_categories": ["gift_card"], "keywords": ["年终满减", "year-end sale"],
         "dynamic_threshold": {"min": 200, "max": 300, "step": 50, "policy": "participation",
                               "target_participation": 0.5, "min_offers": 2}}


def test_the_system_moves_the_threshold_and_the_marketer_answers(client: TestClient, accounts) -> None:
    marketer = login(client, accounts["marketer"])
    runtime = client.app.state.runtime
    fixed = client.get(f"{CAMPAIGNS}/year_end/threshold", headers=marketer).json()
    assert (fixed["level"], fixed["dynamic"], fixed["levels"]) == ("300.00", None, [])
    refused = client.post(f"{CAMPAIGNS}/year_end/threshold/pin", json={}, headers=marketer)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "no_dynamic_threshold"
    bad = client.patch(f"{CAMPAIGNS}/year_end", headers=marketer,
                       json={"rules": {**RULES, "dynamic_threshold": {**RULES["dynamic_threshold"], "max": 650}}})
    assert bad.status_code == 422 and "tier 2" in bad.json()["error"]["message"]
    r = client.patch(f"{CAMPAIGNS}/year_end", json={"rules": RULES, "note": "let it find its level"},
                     headers=marketer)
    assert r.status_code == 200, r.text

    for customer in ("C00006", "C00007"):  # two offers at ¥300, nobody takes part
        cid, token = start_chat(client, customer)
        say(client, cid, token, "what deals do you have")
    chooser = runtime.offer_chooser  # the offer bandit rebuilt from the same log: one decision per answer
    chooser.rebuild()
    assert sum(s.trials for s in chooser.bandit.stats.values()) >= 2
    view = client.get(f"{CAMPAIGNS}/year_end/threshold", headers=marketer).json()
    at_300 = next(row for row in view["levels"] if row["level"] == "300.00")
    assert (at_300["offers"], at_300["participants"]) == (2, 0)

    done = tune_all(runtime.sessions, datetime.now(UTC), np.random.default_rng(0))
    assert [(t.campaign_id, t.applied, str(t.move.level)) for t in done] == [("year_end", True, "250.00")]
    view = client.get(f"{CAMPAIGNS}/year_end/threshold", headers=marketer).json()
    assert view["level"] == "250.00"
    move = view["moves"][0]
    assert (move["actor"], move["actor_role"], move["action"]) == ("system", "system", "threshold")
    assert move["changes"]["threshold"] == {"from": "300.00", "to": "250.00"}
    assert "participation 0.0% over 2 offers is below the target 50.0%" in move["note"]
    trail = client.get(f"{CAMPAIGNS}/year_end", headers=marketer).json()["changes"]
    assert trail[0]["action"] == "threshold" and trail[0]["actor"] == "system"

    cid, token = start_chat(client, "C00008", language="zh")
    assert "满250减50" in say(client, cid, token, "有什么优惠")["reply"]["text"]
    again = tune_all(runtime.sessions, datetime.now(UTC), np.random.default_rng(0))
    assert [t.applied for t in again] == [False]  # one offer at ¥250 so far: it waits for two

    reverted = client.post(f"{CAMPAIGNS}/year_end/threshold/revert", json={"note": "keep 300 for the holidays"},
                           headers=marketer)
    assert reverted.status_code == 200, reverted.text
    body = reverted.json()
    assert body["level"] == "300.00" and body["dynamic"]["pinned"] is True
    assert (body["moves"][0]["action"], body["moves"][0]["actor"], body["moves"][0]["note"]) == (
        "revert", accounts["marketer"], "keep 300 for the holidays")
    assert tune_all(runtime.sessions, datetime.now(UTC)) == []  # pinned: never moved

    unpinned = client.post(f"{CAMPAIGNS}/year_end/threshold/unpin", json={}, headers=marketer).json()
    assert "pinned" not in unpinned["dynamic"] and unpinned["moves"][0]["action"] == "unpin"
    wrong = client.post(f"{CAMPAIGNS}/year_end/threshold/pin", json={"level": 260}, headers=marketer)
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "invalid_level"
    pinned = client.post(f"{CAMPAIGNS}/year_end/threshold/pin", json={"level": 200, "note": "clearance"},
                         headers=marketer).json()
    assert pinned["level"] == "200.00" and pinned["dynamic"]["pinned"] is True
    assert pinned["moves"][0]["changes"]["threshold"] == {"from": "300.00", "to": "200.00"}
    operator = login(client, accounts["operator"])
    assert client.post(f"{CAMPAIGNS}/year_end/threshold/unpin", json={}, headers=operator).status_code == 403
