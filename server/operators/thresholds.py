"""The dynamic-threshold job: for each running campaign whose marketer let the system move its threshold (and
has not pinned it), read what each level earned and apply the policy's move (`tools.marketing.campaigns.dynamic`),
recorded in the campaign's audit trail as actor `system` with the reason. Blocking (SQL): run it in a thread."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from server.db import thresholds as store
from server.db.offers import SqlCampaignStore
from tools.marketing.campaigns import Campaign
from tools.marketing.campaigns.dynamic import Move, decide

log = logging.getLogger(__name__)

SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Tuned:
    campaign_id: str
    move: Move
    applied: bool


def tune_campaign(sessions: sessionmaker[Session], campaign: Campaign, now: datetime,
                  rng: np.random.Generator) -> Tuned | None:
    dt = campaign.rules.dynamic_threshold
    if dt is None or dt.pinned or not campaign.running(now):
        return None
    since = store.level_set_at(sessions, campaign.id)
    seen = store.observations(sessions, campaign, now)
    since_set = [o for at, o in seen if since is None or at >= since]
    current = campaign.rules.threshold
    move = decide(dt, current, [o for _, o in seen], since_set, rng)
    if move.level is None:
        return Tuned(campaign.id, move, False)
    try:
        store.set_level(sessions, campaign.id, expected=current, level=move.level, pinned=None, action="threshold",
                        actor=SYSTEM, role=SYSTEM, note=f"{dt.policy}: {move.reason}", now=now)
    except store.LevelChanged:  # moved meanwhile (a marketer, or another worker's job): decide again next time
        return Tuned(campaign.id, move, False)
    log.info("campaign %s: threshold %s -> %s (%s)", campaign.id, current, move.level, move.reason)
    return Tuned(campaign.id, move, True)


def tune_all(sessions: sessionmaker[Session], now: datetime, rng: np.random.Generator | None = None) -> list[Tuned]:
    """One pass over every campaign with a dynamic threshold (a campaign that fails is logged and skipped)."""
    rng = rng or np.random.default_rng()
    out = []
    for row in SqlCampaignStore(sessions).campaigns():
        try:
            campaign = Campaign.model_validate(row)
        except ValueError:
            continue
        if campaign.rules.dynamic_threshold is None:
            continue
        try:
            tuned = tune_campaign(sessions, campaign, now, rng)
        except Exception:
            log.exception("dynamic threshold of campaign %s: the pass failed", campaign.id)
            continue
        if tuned is not None:
            out.append(tuned)
    return out
