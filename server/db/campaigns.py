"""`CampaignRepository`: campaigns as marketers manage them, every change with its audit entry, and a
campaign's record as campaign copy needs it (with its categories' names).

The data layer knows no LLM task and validates nothing itself: the marketing routes validate a campaign
(`tools.marketing.campaigns.CampaignSpec`) before it gets here; this module stores it and records who
changed what, when and why, in the same transaction as the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from server.db.models import Campaign, CampaignChange, Category, Coupon

# What a marketer sets (and the audit compares); `spent` and the status change only through claims and actions.
EDITABLE = ("name_zh", "name_en", "kind", "starts_at", "ends_at", "rules", "budget", "per_customer_limit",
            "segments")


class CampaignExists(Exception):
    """A campaign with that id exists already."""


class UnknownCampaign(LookupError):
    """No campaign with that id."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change: the operator's username and role, and why (their note)."""

    username: str
    role: str
    note: str = ""


def _category_keys(rules: dict[str, Any]) -> set[str]:
    return {k for key in ("categories", "exclude_categories") for k in rules.get(key) or [] if isinstance(k, str)}


def campaign_record(c: Campaign) -> dict[str, Any]:
    """A stored campaign as plain data (what `tools.marketing.campaigns.Campaign` validates)."""
    return {"id": c.id, "name_zh": c.name_zh, "name_en": c.name_en, "kind": c.kind, "starts_at": c.starts_at,
            "ends_at": c.ends_at, "rules": dict(c.rules or {}), "status": c.status, "budget": c.budget,
            "spent": c.spent if c.spent is not None else Decimal("0"), "per_customer_limit": c.per_customer_limit,
            "segments": list(c.segments or [])}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: {"from": _jsonable(before.get(k)), "to": _jsonable(after.get(k))}
            for k in after if _jsonable(before.get(k)) != _jsonable(after.get(k))}


class CampaignRepository:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def get(self, campaign_id: str) -> dict[str, Any] | None:
        """`id`, `name_zh`, `name_en`, `starts_at`, `ends_at`, `rules`, `segments` and `categories` (key → (zh, en)
        name of each category the rules name), or None for an unknown campaign (what campaign copy reads)."""
        with self._sessions() as session:
            c = session.get(Campaign, campaign_id)
            if c is None:
                return None
            rules = dict(c.rules or {})
            keys = _category_keys(rules)
            names = (
                {
                    row.key: (row.name_zh, row.name_en)
                    for row in session.scalars(select(Category).where(Category.key.in_(keys)))
                }
                if keys
                else {}
            )
            return {
                "id": c.id,
                "name_zh": c.name_zh,
                "name_en": c.name_en,
                "starts_at": c.starts_at,
                "ends_at": c.ends_at,
                "rules": rules,
                "segments": list(c.segments or []),
                "categories": names,
            }

    # --- marketers' view ---------------------------------------------------------------------------------

    def record(self, campaign_id: str) -> dict[str, Any] | None:
        """The stored campaign with its coupon counts (`coupons_issued`, `coupons_used`), or None."""
        rows = self._records(campaign_id=campaign_id)
        return rows[0] if rows else None

    def list(self, *, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Campaigns, newest start first, optionally of one status."""
        return self._records(status=status, limit=limit)

    def _records(self, *, campaign_id: str | None = None, status: str | None = None,
                 limit: int = 100) -> list[dict[str, Any]]:
        counts = (select(Coupon.campaign_id, func.count(Coupon.code).label("issued"),
                         func.coalesce(func.sum(case((Coupon.status == "used", 1), else_=0)), 0).label("used"))
                  .group_by(Coupon.campaign_id).subquery())
        stmt = (select(Campaign, counts.c.issued, counts.c.used).outerjoin(counts, counts.c.campaign_id == Campaign.id)
                .order_by(Campaign.starts_at.desc(), Campaign.id).limit(limit))
        if campaign_id is not None:
            stmt = stmt.where(Campaign.id == campaign_id)
        if status is not None:
            stmt = stmt.where(Campaign.status == status)
        with self._sessions() as session:
            return [{**campaign_record(c), "coupons_issued": int(issued or 0), "coupons_used": int(used or 0)}
                    for c, issued, used in session.execute(stmt)]

    def changes(self, campaign_id: str, *, limit: int = 200) -> list[dict[str, Any]]:
        """The campaign's audit trail, newest first."""
        with self._sessions() as session:
            rows = session.scalars(select(CampaignChange).where(CampaignChange.campaign_id == campaign_id)
                                   .order_by(CampaignChange.at.desc(), CampaignChange.id.desc()).limit(limit))
            return [{"at": r.at.isoformat(), "actor": r.actor, "actor_role": r.actor_role, "action": r.action,
                     "changes": dict(r.changes or {}), "note": r.note} for r in rows]

    def create(self, campaign_id: str, values: dict[str, Any], actor: Actor, now: datetime) -> dict[str, Any]:
        """Store a new (validated) campaign and its `create` audit entry; `CampaignExists` if the id is taken."""
        try:
            with self._sessions.begin() as session:
                if session.get(Campaign, campaign_id) is not None:
                    raise CampaignExists(campaign_id)
                c = Campaign(id=campaign_id, status="active", active=True, spent=Decimal("0"),
                             **{k: values.get(k) for k in EDITABLE})
                session.add(c)
                session.flush()
                self._audit(session, c.id, actor, "create", _diff({}, {k: values.get(k) for k in EDITABLE}), now)
        except IntegrityError as exc:  # the same id created meanwhile by another worker
            raise CampaignExists(campaign_id) from exc
        return self.record(campaign_id) or {}

    def update(self, campaign_id: str, values: dict[str, Any], actor: Actor, now: datetime) -> dict[str, Any]:
        """Apply a (validated) edit; the audit entry lists each field that changed, from and to. Nothing changed:
        nothing recorded."""
        with self._sessions.begin() as session:
            c = session.get(Campaign, campaign_id, with_for_update=True)
            if c is None:
                raise UnknownCampaign(campaign_id)
            before = campaign_record(c)
            for key in EDITABLE:
                if key in values:
                    setattr(c, key, values[key])
            changed = _diff(before, {k: values[k] for k in EDITABLE if k in values})
            if changed:
                self._audit(session, campaign_id, actor, "update", changed, now)
        return self.record(campaign_id) or {}

    def set_status(self, campaign_id: str, status: str, action: str, actor: Actor, now: datetime) -> dict[str, Any]:
        """Pause, resume or end (the caller checked that the move is allowed), with its audit entry."""
        with self._sessions.begin() as session:
            c = session.get(Campaign, campaign_id, with_for_update=True)
            if c is None:
                raise UnknownCampaign(campaign_id)
            before = c.status
            c.status, c.active = status, status == "active"
            self._audit(session, campaign_id, actor, action, {"status": {"from": before, "to": status}}, now)
        return self.record(campaign_id) or {}

    @staticmethod
    def _audit(session: Session, campaign_id: str, actor: Actor, action: str, changes: dict[str, Any],
               now: datetime) -> None:
        session.add(CampaignChange(campaign_id=campaign_id, at=now, actor=actor.username, actor_role=actor.role,
                                   action=action, changes=changes, note=actor.note))
