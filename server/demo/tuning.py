"""Demo history of the marketers' tuning, so the console's experiment readout and threshold history are not empty
on `make run`. Both are written the way the running service writes them:

- an A/B experiment on the trade-in bonus (`EXPERIMENT`): its threshold (control, ¥1500) against ¥1200, randomised
  within segment and tier, running since the campaign started. Customers shown the coupon in the offer history
  are placed by the offer tool's own `place` (against `DemoExperiments`, the store's assignment rows kept in
  memory, permuted blocks by their place in the stratum), recorded as `ExperimentAssigned` once, see their arm's
  threshold in the offer and the coupon they claim, and claim with a known uplift (`CLAIM_LIFT`), so the readout
  has an effect to find;
- a dynamic threshold on the Singles' Day sale (`DYNAMIC`: the participation policy between ¥200 and ¥300 in steps
  of ¥50): offers record the level in force, checkout applies it, and on day `MOVE_DAY` the system lowered ¥300
  to ¥250 with the reason the policy (`decide`) gives on the offers made until then (their participation read
  from the orders that followed, as `server.db.thresholds.observations` reads it); two days later the marketer
  pinned it. The campaign's rules end at the level and pin it was left with.

Deterministic: no random stream of its own (arms come from the permuted blocks, which are seeded by the
experiment, and the rest is the history's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from server.demo.orders import OrderDraft
from tools.marketing.campaigns import Campaign
from tools.marketing.campaigns.dynamic import Observation, decide
from tools.marketing.campaigns.rules import CampaignRules
from tools.marketing.campaigns.thresholds import Line, scoped_amount
from tools.marketing.experiments.assign import arm_by_block
from tools.marketing.experiments.placing import Placement
from tools.marketing.experiments.spec import Experiment

DEMO_ACTOR = ("demo-data", "system")
DEMO_MARKETER = ("demo-marketer", "marketer")
CLAIM_LIFT = {"control": 1.0, "low": 1.6}  # what the lower threshold does to the chance of a claim
EXPERIMENT_CAMPAIGN = "trade_in"
DYNAMIC_CAMPAIGN = "double11"
DYNAMIC = {"min": 200, "max": 300, "step": 50, "policy": "participation", "target_participation": 0.8,
           "min_offers": 10}
MOVE_DAY, PIN_DAY = 4, 6  # days after the campaign started (10:00 Beijing time)
ATTRIBUTION_DAYS = 7  # as server.db.thresholds


def experiment_row(campaign: dict[str, Any]) -> dict[str, Any]:
    """The trade-in floor experiment, as the experiments route stores one."""
    return {"id": "trade_in_floor", "campaign_id": campaign["id"],
            "name": "以旧换新门槛 ¥1500 vs ¥1200 · Trade-in floor",
            "arms": [{"key": "control", "label": "¥1500", "weight": 1, "offer_id": None, "variant": "",
                      "threshold": None},
                     {"key": "low", "label": "¥1200", "weight": 1, "offer_id": None, "variant": "",
                      "threshold": "1200.00"}],
            "metric": "claimed", "strata": ["segment", "tier"], "min_detectable_effect": 0.1,
            "starts_at": campaign["starts_at"], "ends_at": campaign["ends_at"], "status": "running",
            "created_by": DEMO_MARKETER[0], "created_at": campaign["starts_at"] - timedelta(days=1),
            "stopped_at": None, "stopped_by": None,
            "note": "演示数据：门槛降到¥1200能多领多少？· demo store: does a ¥1200 floor get more claims?"}


@dataclass(slots=True)
class DemoExperiments:
    """`tools.marketing.experiments.ports.ExperimentStore` over the demo's rows: assignments as the SQL store makes
    them (the next place in the customer's stratum), kept as rows for `experiment_assignments`."""

    experiments: list[Experiment]
    rows: list[dict[str, Any]] = field(default_factory=list)
    _arms: dict[tuple[str, str], str] = field(default_factory=dict)
    _places: dict[tuple[str, str], int] = field(default_factory=dict)

    def running(self, now: datetime) -> list[Experiment]:
        return [e for e in self.experiments if e.running(now)]

    def assign(self, experiment: Experiment, customer_id: str, stratum: str, conversation_id: str,
               now: datetime) -> tuple[str, bool]:
        found = self._arms.get((experiment.id, customer_id))
        if found is not None:
            return found, False
        position = self._places.get((experiment.id, stratum), 0)
        self._places[experiment.id, stratum] = position + 1
        arm = arm_by_block(experiment, experiment.id, stratum, position, customer_id).key
        self._arms[experiment.id, customer_id] = arm
        self.rows.append({"experiment_id": experiment.id, "customer_id": customer_id, "arm": arm, "stratum": stratum,
                          "position": position, "conversation_id": conversation_id, "assigned_at": now})
        return arm, True

    def arm_of(self, experiment_id: str, customer_id: str) -> str | None:
        return self._arms.get((experiment_id, customer_id))


def claim_lift(placement: Placement | None) -> float:
    return CLAIM_LIFT.get(placement.arm.key, 1.0) if placement is not None else 1.0


@dataclass(slots=True)
class Tuning:
    """The experiment and the threshold schedule while the history is generated, and their rows after."""

    experiments: DemoExperiments
    dynamic_id: str | None = None
    move_at: datetime | None = None
    pin_at: datetime | None = None
    first: Decimal = Decimal("300")
    second: Decimal = Decimal("250")

    def level(self, campaign_id: str, at: datetime) -> Decimal | None:
        """The dynamic campaign's threshold in force at `at` (None for any other campaign)."""
        if campaign_id != self.dynamic_id or self.move_at is None:
            return None
        return self.first if at < self.move_at else self.second

    def at_level(self, campaign: Campaign, at: datetime) -> Campaign:
        level = self.level(campaign.id, at)
        if level is None or level == campaign.rules.threshold:
            return campaign
        return campaign.model_copy(update={"rules": campaign.rules.with_threshold(level)})


def plan(campaigns: list[dict[str, Any]]) -> tuple[Tuning, list[dict[str, Any]]]:
    """Set the demo's experiment and dynamic threshold on its campaigns (rules as they started); the experiment
    rows to store."""
    by_id = {c["id"]: c for c in campaigns}
    rows = []
    experiments = []
    if EXPERIMENT_CAMPAIGN in by_id:
        row = experiment_row(by_id[EXPERIMENT_CAMPAIGN])
        rows.append(row)
        experiments.append(Experiment.model_validate(row))
    tuning = Tuning(DemoExperiments(experiments))
    dynamic = by_id.get(DYNAMIC_CAMPAIGN)
    if dynamic is not None:
        dynamic["rules"] = {**dynamic["rules"], "dynamic_threshold": dict(DYNAMIC)}
        rules = CampaignRules.model_validate(dynamic["rules"])
        start = dynamic["starts_at"]
        tuning.dynamic_id, tuning.first = dynamic["id"], rules.threshold
        tuning.second = rules.threshold - Decimal(DYNAMIC["step"])
        tuning.move_at = start + timedelta(days=MOVE_DAY, hours=10)
        tuning.pin_at = start + timedelta(days=PIN_DAY, hours=10)
    return tuning, rows


def threshold_history(tuning: Tuning, campaigns: list[dict[str, Any]], events: list[dict[str, Any]],
                      conversations: list[dict[str, Any]], drafts: list[OrderDraft]) -> list[dict[str, Any]]:
    """The system's move (with the policy's reason on the offers made at the first level) and the marketer's pin,
    as audit rows; the campaign's rules end at the level and pin it was left with. In a store too small for the
    policy to move (too few offers), the marketer lowered it by hand, said so, so the level still agrees with the
    orders and offers made after it."""
    campaign = next((c for c in campaigns if c["id"] == tuning.dynamic_id), None)
    if campaign is None or tuning.move_at is None or tuning.pin_at is None:
        return []
    rules = CampaignRules.model_validate(campaign["rules"])
    dt = rules.dynamic_threshold
    assert dt is not None
    customer_of = {c["id"]: c["customer_id"] for c in conversations}
    placed: dict[str, list[OrderDraft]] = {}
    for o in drafts:
        if o.status != "cancelled":
            placed.setdefault(o.customer_id, []).append(o)
    seen = []
    for e in events:
        p = e["payload"]
        if (e["type"] != "offer_made" or p.get("offer_id") != campaign["id"] or e["at"] >= tuning.move_at
                or not customer_of.get(e["conversation_id"])):
            continue
        took = False
        for o in placed.get(customer_of[e["conversation_id"]], []):
            if e["at"] <= o.placed_at <= e["at"] + timedelta(days=ATTRIBUTION_DAYS):
                lines = [Line(ln.product_id, ln.product.category, ln.unit_price * ln.quantity) for ln in o.lines]
                if scoped_amount(rules, lines) >= tuning.first:
                    took = True
                    break
        seen.append(Observation(tuning.first, took))
    move = decide(dt, tuning.first, seen, seen, np.random.default_rng(0))
    lowered = rules.with_threshold(tuning.second)
    campaign["rules"] = {**lowered.data(), "dynamic_threshold": {**dt.data(), "pinned": True}}
    first, second = f"{tuning.first:.2f}", f"{tuning.second:.2f}"
    marketer, role = DEMO_MARKETER
    if move.level == tuning.second:
        moved = {"actor": "system", "actor_role": "system", "action": "threshold",
                 "changes": {"threshold": {"from": first, "to": second}}, "note": f"{dt.policy}: {move.reason}"}
    else:
        moved = {"actor": marketer, "actor_role": role, "action": "update",
                 "changes": {"rules": {"from": rules.data(), "to": lowered.data()}},
                 "note": f"演示数据：手动降到¥{tuning.second:.0f} · demo store: lowered by hand ({move.reason})"}
    hold = f"演示数据：最后几天保持¥{tuning.second:.0f} · demo store: hold ¥{tuning.second:.0f} for the last days"
    return [
        {"campaign_id": campaign["id"], "at": tuning.move_at, **moved},
        {"campaign_id": campaign["id"], "at": tuning.pin_at, "actor": marketer, "actor_role": role,
         "action": "pin", "changes": {"pinned": {"from": False, "to": True}}, "note": hold},
    ]
