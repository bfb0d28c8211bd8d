"""`/api/operator/campaigns/{id}/threshold`: a campaign's dynamic threshold as marketers watch and answer it.

`GET` shows the level in force, the bounds and policy the marketer set, what each level earned (offers,
participation, margin-adjusted revenue per offer), the level that earned most, and the history of moves (the
system's, with their reasons, and the marketer's answers). A marketer can `revert` the system's last move
(back to the level before it, and pinned there so the system does not move it straight back), `pin` the
threshold (at the level in force, or one of the levels they name) and `unpin` it. Each is in the campaign's
audit trail with who did it and their note. A campaign whose threshold is fixed shows `dynamic: null`; the
actions on it are 409 `no_dynamic_threshold`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from server.api.deps import RuntimeDep
from server.api.operator.deps import MARKETING_ROLES, require_role
from server.db import thresholds as store
from server.db.operators import OperatorRow
from server.errors import ApiError
from server.runtime import Runtime
from tools.marketing.campaigns import Campaign
from tools.marketing.campaigns.dynamic import best_level, level_stats

_marketer = require_role(*MARKETING_ROLES)
router = APIRouter(prefix="/api/operator/campaigns/{campaign_id}/threshold", tags=["marketing"],
                   dependencies=[Depends(_marketer)])
Marketer = Annotated[OperatorRow, Depends(_marketer)]
CampaignId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
Note = Annotated[str, Field(default="", max_length=500)]


class NoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Note = ""


class PinBody(NoteBody):
    level: Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=2)] | None = None  # None: the level now


class LevelOut(BaseModel):
    level: str
    offers: int
    participants: int
    participation: float | None
    mean_reward: float | None  # margin-adjusted revenue per offer, yuan


class MoveOut(BaseModel):
    at: datetime
    actor: str
    actor_role: str
    action: Literal["threshold", "revert", "pin", "unpin"]
    changes: dict[str, Any]
    note: str


class ThresholdOut(BaseModel):
    campaign_id: str
    level: str | None  # the threshold in force, yuan (None: a percent_off campaign has none)
    dynamic: dict[str, Any] | None  # the bounds and policy the marketer set (`rules.dynamic_threshold`); None: fixed
    levels: list[LevelOut]
    best_level: str | None  # the level with the highest margin-adjusted revenue per offer so far
    moves: list[MoveOut]  # newest first


def _campaign(runtime: Runtime, campaign_id: str, *, dynamic: bool = True) -> Campaign:
    campaign = store.load(runtime.sessions, campaign_id)
    if campaign is None:
        raise ApiError(404, "unknown_campaign", "No such campaign.")
    if dynamic and campaign.rules.dynamic_threshold is None:
        raise ApiError(409, "no_dynamic_threshold", "The campaign's threshold is not dynamic (set "
                                                    "rules.dynamic_threshold to let the system move it).")
    return campaign


def _view(runtime: Runtime, campaign: Campaign) -> dict[str, Any]:
    dt = campaign.rules.dynamic_threshold
    level = None if campaign.rules.type == "percent_off" else f"{campaign.rules.threshold:.2f}"
    if dt is None:
        return {"campaign_id": campaign.id, "level": level, "dynamic": None, "levels": [], "best_level": None,
                "moves": store.moves(runtime.sessions, campaign.id)}
    seen = store.observations(runtime.sessions, campaign, runtime.agent.clock())
    stats = level_stats(dt, [o for _, o in seen])
    best = best_level(stats)
    return {"campaign_id": campaign.id, "level": level, "dynamic": dt.data(),
            "levels": [s.as_dict() for s in stats], "best_level": None if best is None else f"{best:.2f}",
            "moves": store.moves(runtime.sessions, campaign.id)}


@router.get("", response_model=ThresholdOut)
async def get_threshold(campaign_id: CampaignId, runtime: RuntimeDep, _: Marketer) -> dict[str, Any]:
    """The threshold in force and, when it is dynamic, what each level earned and how it moved."""
    return await asyncio.to_thread(lambda: _view(runtime, _campaign(runtime, campaign_id, dynamic=False)))


def _change(runtime: Runtime, campaign: Campaign, operator: OperatorRow, action: str, note: str, *,
            level: Decimal | None, pinned: bool | None) -> dict[str, Any]:
    try:
        fresh = store.set_level(runtime.sessions, campaign.id, expected=campaign.rules.threshold, level=level,
                                pinned=pinned, action=action, actor=operator.username, role=operator.role,
                                note=" ".join(note.split()), now=runtime.agent.clock())
    except store.LevelChanged as exc:
        raise ApiError(409, "threshold_changed", "The threshold changed meanwhile; look again.") from exc
    return _view(runtime, fresh)


@router.post("/revert", response_model=ThresholdOut)
async def revert_threshold(campaign_id: CampaignId, body: NoteBody, runtime: RuntimeDep,
                           operator: Marketer) -> dict[str, Any]:
    """Undo the system's last move and pin the threshold there; 409 `no_move` when the system moved nothing."""

    def revert() -> dict[str, Any]:
        campaign = _campaign(runtime, campaign_id)
        last = store.last_move(runtime.sessions, campaign_id)
        if last is None:
            raise ApiError(409, "no_move", "The system has not moved this threshold.")
        return _change(runtime, campaign, operator, "revert", body.note, level=Decimal(last["from"]), pinned=True)

    return await asyncio.to_thread(revert)


@router.post("/pin", response_model=ThresholdOut)
async def pin_threshold(campaign_id: CampaignId, body: PinBody, runtime: RuntimeDep,
                        operator: Marketer) -> dict[str, Any]:
    """Hold the threshold (at `level`, one of the levels, when given); the system moves it no more."""

    def pin() -> dict[str, Any]:
        campaign = _campaign(runtime, campaign_id)
        dt = campaign.rules.dynamic_threshold
        assert dt is not None
        if body.level is not None and body.level not in dt.levels():
            raise ApiError(422, "invalid_level", f"level: must be one of the levels ({dt.min} to {dt.max} in steps "
                                                 f"of {dt.step})")
        return _change(runtime, campaign, operator, "pin", body.note, level=body.level, pinned=True)

    return await asyncio.to_thread(pin)


@router.post("/unpin", response_model=ThresholdOut)
async def unpin_threshold(campaign_id: CampaignId, body: NoteBody, runtime: RuntimeDep,
                          operator: Marketer) -> dict[str, Any]:
    """Let the system move the threshold again."""
    return await asyncio.to_thread(lambda: _change(runtime, _campaign(runtime, campaign_id), operator, "unpin",
                                                   body.note, level=None, pinned=False))
