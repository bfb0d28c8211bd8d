"""Pausing, resuming and ending a campaign: which moves a status allows, and the move with its audit entry.

One place for the rule, used by the campaign routes and by the marketer's chat (after confirmation), so both
refuse the same way: 404 `unknown_campaign`, 409 `campaign_<status>` for a move the status does not allow
(`campaign_ended` once ended: that is final). Blocking (SQL): call it in a worker thread.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from server.db.campaigns import Actor, CampaignRepository, UnknownCampaign
from server.errors import ApiError

# the moves a marketer may make: action -> (the statuses it starts from, the status it ends in, in words)
MOVES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "pause": (("active",), "paused", "paused"),
    "resume": (("paused",), "active", "resumed"),
    "end": (("active", "paused"), "ended", "ended"),
}


def move_refusal(action: str, status: str) -> ApiError | None:
    """Why `action` cannot be made from `status` (None: it can)."""
    starts, _, done = MOVES[action]
    if status in starts:
        return None
    code = "campaign_ended" if status == "ended" else f"campaign_{status}"
    return ApiError(409, code, f"The campaign is {status}; it cannot be {done}.")


def move_campaign(sessions: sessionmaker[Session], action: str, campaign_id: str, actor: Actor,
                  now: datetime) -> dict[str, Any]:
    """Make the move and record who made it and why; the campaign's record after it."""
    repo = CampaignRepository(sessions)
    record = repo.record(campaign_id)
    if record is None:
        raise ApiError(404, "unknown_campaign", "No such campaign.")
    if (refusal := move_refusal(action, record["status"])) is not None:
        raise refusal
    try:
        return repo.set_status(campaign_id, MOVES[action][1], action, actor, now)
    except UnknownCampaign as exc:
        raise ApiError(404, "unknown_campaign", "No such campaign.") from exc
