"""`/api/operator/campaigns`: marketers (and supervisors) list, create, edit, pause, resume and end campaigns.

Every change is validated as a whole campaign (`tools.marketing.campaigns.CampaignSpec`: tiers that climb,
fields that fit the type, a window that ends after it starts, …) plus what only the store knows (category and
product keys exist, a budget not below what is already committed); a refusal is 422 `invalid_campaign` naming
each field that is wrong. Each change is stored with its audit entry (who, when, what changed from what to
what, and the note saying why) in one transaction; `GET /{id}` shows the trail. Ended is final.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from server.api.deps import RuntimeDep
from server.api.marketing import MARKETING_ROLES
from server.api.operator.deps import require_role
from server.db.campaigns import EDITABLE, Actor, CampaignExists, CampaignRepository
from server.db.offers import SqlCampaignStore
from server.db.operators import OperatorRow
from server.errors import ApiError
from server.operators.campaign_moves import move_campaign
from server.runtime import Runtime
from tools.marketing.campaigns import CampaignRules, CampaignSpec, validation_messages
from tools.marketing.campaigns.rules import Segment

_marketer = require_role(*MARKETING_ROLES)  # one object: the router's check and the handlers' parameter resolve once
router = APIRouter(prefix="/api/operator/campaigns", tags=["marketing"], dependencies=[Depends(_marketer)])
Marketer = Annotated[OperatorRow, Depends(_marketer)]
CampaignId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
Note = Annotated[str, Field(default="", max_length=500)]
MAX_MESSAGES = 5


class CampaignCreate(CampaignSpec):
    """A new campaign; `id` is made up when not given; `note` says why (kept in the audit trail)."""

    id: str | None = Field(default=None, min_length=2, max_length=32, pattern=r"^[a-z0-9_-]+$")
    note: Note = ""


class CampaignPatch(BaseModel):
    """Any of the campaign's fields (rules replace the rules as a whole); `budget` or `per_customer_limit` null
    removes the cap. The result is validated as a whole campaign."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name_zh: str | None = Field(default=None, min_length=1, max_length=120)
    name_en: str | None = Field(default=None, min_length=1, max_length=160)
    kind: str | None = Field(default=None, min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    rules: CampaignRules | None = None
    budget: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)] | None = None
    per_customer_limit: Annotated[int, Field(ge=1, le=100)] | None = None
    segments: list[Segment] | None = Field(default=None, max_length=6)
    note: Note = ""


class ActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Note = ""


class CampaignChangeOut(BaseModel):
    at: datetime
    actor: str
    actor_role: str
    action: Literal["create", "update", "pause", "resume", "end", "threshold", "revert", "pin", "unpin"]
    changes: dict[str, Any]
    note: str


class CampaignOut(BaseModel):
    id: str
    name_zh: str
    name_en: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    rules: dict[str, Any]
    status: Literal["active", "paused", "ended"]
    running: bool  # active and inside its window now
    budget: str | None  # yuan, "6000.00"; null: no cap
    spent: str  # discount committed (coupons claimed, at face value)
    budget_left: str | None
    per_customer_limit: int | None
    segments: list[str]
    coupons_issued: int
    coupons_used: int


class CampaignDetail(CampaignOut):
    changes: list[CampaignChangeOut]  # the audit trail, newest first


class CampaignList(BaseModel):
    campaigns: list[CampaignOut]


def _out(record: dict[str, Any], now: datetime) -> dict[str, Any]:
    budget, spent = record["budget"], record["spent"] or Decimal("0")
    return {**record, "budget": None if budget is None else f"{budget:.2f}", "spent": f"{spent:.2f}",
            "budget_left": None if budget is None else f"{max(Decimal('0'), budget - spent):.2f}",
            "running": record["status"] == "active" and record["starts_at"] <= now <= record["ends_at"]}


def _invalid(messages: list[str]) -> ApiError:
    shown = messages[:MAX_MESSAGES]
    more = f" (and {len(messages) - MAX_MESSAGES} more)" if len(messages) > MAX_MESSAGES else ""
    return ApiError(422, "invalid_campaign", "; ".join(shown) + more)


def _stored(spec: CampaignSpec) -> dict[str, Any]:
    """A validated campaign as the columns hold it."""
    return {"name_zh": spec.name_zh, "name_en": spec.name_en, "kind": spec.kind, "starts_at": spec.starts_at,
            "ends_at": spec.ends_at, "rules": spec.rules.data(), "budget": spec.budget,
            "per_customer_limit": spec.per_customer_limit, "segments": list(spec.segments)}


def _check_store(runtime: Runtime, spec: CampaignSpec, spent: Decimal = Decimal("0")) -> None:
    """What only the store knows: the categories and products named exist; the budget covers what is spent."""
    problems = []
    rules = spec.rules
    known = {c.key for c in runtime.catalog.categories()}
    for field in ("categories", "exclude_categories"):
        if unknown := [k for k in getattr(rules, field) if k not in known]:
            problems.append(f"rules.{field}: no such category: {', '.join(unknown)}")
    named = [*rules.products, *rules.exclude_products]
    if named:
        found = {line.product_id for line in SqlCampaignStore(runtime.sessions).priced(named)}
        for field in ("products", "exclude_products"):
            if unknown := [k for k in getattr(rules, field) if k not in found]:
                problems.append(f"rules.{field}: no such product: {', '.join(unknown)}")
    if spec.budget is not None and spec.budget < spent:
        problems.append(f"budget: is below what is already committed ({spent:.2f})")
    if problems:
        raise _invalid(problems)


def _actor(operator: OperatorRow, note: str) -> Actor:
    return Actor(operator.username, operator.role, " ".join(note.split()))


def _detail(repo: CampaignRepository, campaign_id: str, now: datetime) -> dict[str, Any]:
    record = repo.record(campaign_id)
    if record is None:
        raise ApiError(404, "unknown_campaign", "No such campaign.")
    return {**_out(record, now), "changes": repo.changes(campaign_id)}


@router.get("", response_model=CampaignList)
async def list_campaigns(
    runtime: RuntimeDep, _: Marketer,
    status: Annotated[Literal["active", "paused", "ended"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> dict[str, Any]:
    """Campaigns, newest start first (`status` filters)."""
    rows = await asyncio.to_thread(CampaignRepository(runtime.sessions).list, status=status, limit=limit)
    now = runtime.agent.clock()
    return {"campaigns": [_out(r, now) for r in rows]}


@router.post("", status_code=201, response_model=CampaignDetail)
async def create_campaign(body: CampaignCreate, runtime: RuntimeDep, operator: Marketer) -> dict[str, Any]:
    """A new campaign, active from its start; 409 `campaign_exists` if the id is taken."""

    def create() -> dict[str, Any]:
        _check_store(runtime, body)
        repo = CampaignRepository(runtime.sessions)
        campaign_id = body.id or f"c{secrets.token_hex(4)}"
        now = runtime.agent.clock()
        try:
            repo.create(campaign_id, _stored(body), _actor(operator, body.note), now)
        except CampaignExists as exc:
            raise ApiError(409, "campaign_exists", f"A campaign with the id {campaign_id} exists already.") from exc
        return _detail(repo, campaign_id, now)

    return await asyncio.to_thread(create)


@router.get("/{campaign_id}", response_model=CampaignDetail)
async def get_campaign(campaign_id: CampaignId, runtime: RuntimeDep, _: Marketer) -> dict[str, Any]:
    """The campaign with its audit trail."""
    return await asyncio.to_thread(_detail, CampaignRepository(runtime.sessions), campaign_id, runtime.agent.clock())


@router.patch("/{campaign_id}", response_model=CampaignDetail)
async def edit_campaign(campaign_id: CampaignId, body: CampaignPatch, runtime: RuntimeDep,
                        operator: Marketer) -> dict[str, Any]:
    """Change some fields; the whole campaign must still be valid. 409 `campaign_ended` once it has ended."""

    def edit() -> dict[str, Any]:
        repo = CampaignRepository(runtime.sessions)
        record = repo.record(campaign_id)
        if record is None:
            raise ApiError(404, "unknown_campaign", "No such campaign.")
        if record["status"] == "ended":
            raise ApiError(409, "campaign_ended", "The campaign has ended; it can no longer be changed.")
        given = body.model_dump(include=body.model_fields_set & set(EDITABLE))
        if body.rules is not None:
            given["rules"] = body.rules.data()
        merged = {k: record[k] for k in EDITABLE} | given
        try:
            spec = CampaignSpec.model_validate(merged)
        except ValidationError as exc:
            raise _invalid(validation_messages(exc)) from exc
        _check_store(runtime, spec, record["spent"] or Decimal("0"))
        now = runtime.agent.clock()
        changed = {k: v for k, v in _stored(spec).items() if k in given or k == "per_customer_limit"}
        repo.update(campaign_id, changed, _actor(operator, body.note), now)
        return _detail(repo, campaign_id, now)

    return await asyncio.to_thread(edit)


async def _move(action: str, campaign_id: str, body: ActionBody, runtime: Runtime,
                operator: OperatorRow) -> dict[str, Any]:
    def move() -> dict[str, Any]:
        now = runtime.agent.clock()
        move_campaign(runtime.sessions, action, campaign_id, _actor(operator, body.note), now)
        return _detail(CampaignRepository(runtime.sessions), campaign_id, now)

    return await asyncio.to_thread(move)


@router.post("/{campaign_id}/pause", response_model=CampaignDetail)
async def pause_campaign(campaign_id: CampaignId, body: ActionBody, runtime: RuntimeDep,
                         operator: Marketer) -> dict[str, Any]:
    """Stop offers and claims for now (an active campaign); `resume` starts them again."""
    return await _move("pause", campaign_id, body, runtime, operator)


@router.post("/{campaign_id}/resume", response_model=CampaignDetail)
async def resume_campaign(campaign_id: CampaignId, body: ActionBody, runtime: RuntimeDep,
                          operator: Marketer) -> dict[str, Any]:
    return await _move("resume", campaign_id, body, runtime, operator)


@router.post("/{campaign_id}/end", response_model=CampaignDetail)
async def end_campaign(campaign_id: CampaignId, body: ActionBody, runtime: RuntimeDep,
                       operator: Marketer) -> dict[str, Any]:
    """End it for good (coupons already issued stay valid until they expire)."""
    return await _move("end", campaign_id, body, runtime, operator)
