"""Putting a customer into the experiments of the campaigns they are offered, and what their arm changes.

Only signed-in customers take part (an arm must stay theirs across conversations). An arm's threshold replaces
the campaign's (the lowest tier's or the coupon's minimum spend) for that customer, in the arithmetic the offers
show and in the coupon they claim; its `offer_id` is put first; its `variant` words the offer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from tools.marketing.campaigns.eligibility import CustomerProfile
from tools.marketing.campaigns.rules import Campaign
from tools.marketing.experiments.assign import stratum_of
from tools.marketing.experiments.ports import ExperimentStore
from tools.marketing.experiments.spec import ArmSpec, Experiment

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Placement:
    experiment: Experiment
    arm: ArmSpec
    stratum: str
    new: bool  # assigned just now (record `ExperimentAssigned`)

    def payload(self) -> dict[str, Any]:
        return {"id": self.experiment.id, "arm": self.arm.key}


def place(store: ExperimentStore, campaigns: Sequence[Campaign], customer: CustomerProfile | None,
          conversation_id: str, now: datetime, *, assign: bool = True) -> dict[str, Placement]:
    """Campaign id → the customer's placement in its running experiment (assigning one when `assign`, else
    only looking it up)."""
    if customer is None:
        return {}
    ids = {c.id for c in campaigns}
    out: dict[str, Placement] = {}
    for experiment in store.running(now):
        if experiment.campaign_id not in ids or experiment.campaign_id in out:
            continue
        stratum = stratum_of(customer.segments(), experiment.strata)
        if assign:
            key, new = store.assign(experiment, customer.customer_id, stratum, conversation_id, now)
        else:
            found = store.arm_of(experiment.id, customer.customer_id)
            if found is None:
                continue
            key, new = found, False
        arm = experiment.arm(key)
        if arm is not None:
            out[experiment.campaign_id] = Placement(experiment, arm, stratum, new)
    return out


def applied(campaign: Campaign, placement: Placement | None) -> Campaign:
    """The campaign as the customer's arm has it (an arm whose threshold no longer fits the rules is left out,
    logged)."""
    if placement is None or placement.arm.threshold is None or campaign.rules.type == "percent_off":
        return campaign
    try:
        rules = campaign.rules.with_threshold(Decimal(placement.arm.threshold))
    except ValidationError:
        log.warning("experiment %s arm %s: threshold %s does not fit campaign %s", placement.experiment.id,
                    placement.arm.key, placement.arm.threshold, campaign.id)
        return campaign
    return campaign.model_copy(update={"rules": rules})
