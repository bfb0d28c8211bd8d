"""`/api/operator/experiments`: marketers (and supervisors) define A/B experiments on campaigns, stop them, and
read them out.

An experiment is validated as a whole (`tools.marketing.experiments.ExperimentSpec`: 2–6 arms that differ, a
window that ends after it starts, …) plus what only the store knows: its campaign exists and has not ended, no
other experiment runs on it, an arm's `offer_id` is a campaign, an arm's `threshold` fits the campaign's rules
(and the campaign does not move its own threshold meanwhile). A refusal is 422 `invalid_experiment` naming each
field that is wrong. Customers are assigned when the chat offers them the campaign (`ExperimentAssigned`).

`GET /{id}/readout`: conversion per arm with 95% intervals, each arm against the control (absolute and relative
uplift with 95% intervals, p-value) and the sample size the effect needs, overall and per stratum
(`tools.marketing.experiments.readout`).
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from server.api.deps import RuntimeDep
from server.api.operator.deps import MARKETING_ROLES, require_role
from server.db.experiments import ExperimentExists, ExperimentRepository
from server.db.operators import OperatorRow
from server.db.thresholds import load
from server.errors import ApiError
from server.runtime import Runtime
from tools.marketing.experiments import Experiment, ExperimentSpec, readout
from tools.marketing.experiments.readout import Readout

_marketer = require_role(*MARKETING_ROLES)
router = APIRouter(prefix="/api/operator/experiments", tags=["marketing"], dependencies=[Depends(_marketer)])
Marketer = Annotated[OperatorRow, Depends(_marketer)]
ExperimentId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
Note = Annotated[str, Field(default="", max_length=500)]


class ExperimentCreate(ExperimentSpec):
    """A new experiment; `id` is made up when not given; `note` says why."""

    id: str | None = Field(default=None, min_length=2, max_length=32, pattern=r"^[a-z0-9_-]+$")
    note: Note = ""


class StopBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Note = ""


class ArmOut(BaseModel):
    key: str
    label: str
    weight: int
    offer_id: str | None
    variant: str
    threshold: str | None  # yuan, "280.00"


class ExperimentOut(BaseModel):
    id: str
    campaign_id: str
    name: str
    arms: list[ArmOut]
    metric: Literal["claimed", "redeemed", "revenue"]
    strata: list[str]
    min_detectable_effect: float | None
    starts_at: datetime
    ends_at: datetime
    status: Literal["running", "stopped"]
    running: bool  # switched on and inside its window now
    created_by: str
    created_at: datetime
    stopped_at: datetime | None
    stopped_by: str | None
    note: str
    assigned: dict[str, int]  # customers per arm so far


class ExperimentList(BaseModel):
    experiments: list[ExperimentOut]


class ReadoutOut(Readout):
    experiment: ExperimentOut


def _out(record: dict[str, Any], now: datetime) -> dict[str, Any]:
    e = Experiment.model_validate(record)
    arms = [{**a.model_dump(), "threshold": None if a.threshold is None else f"{a.threshold:.2f}"} for a in e.arms]
    return {**record, "arms": arms, "running": e.running(now)}


def _invalid(messages: list[str]) -> ApiError:
    return ApiError(422, "invalid_experiment", "; ".join(messages[:5]))


def _check_store(runtime: Runtime, spec: ExperimentSpec, now: datetime) -> None:
    campaign = load(runtime.sessions, spec.campaign_id)
    if campaign is None:
        raise _invalid([f"campaign_id: no such campaign: {spec.campaign_id}"])
    if campaign.status == "ended" or campaign.ends_at < now:
        raise _invalid([f"campaign_id: the campaign {spec.campaign_id} has ended"])
    problems = []
    for n, arm in enumerate(spec.arms):
        if arm.offer_id is not None and load(runtime.sessions, arm.offer_id) is None:
            problems.append(f"arms.{n}.offer_id: no such campaign: {arm.offer_id}")
        if arm.threshold is None:
            continue
        dt = campaign.rules.dynamic_threshold
        if dt is not None and not dt.pinned:
            problems.append(f"arms.{n}.threshold: the campaign moves its own threshold; pin it first")
        elif campaign.rules.type == "percent_off":
            problems.append(f"arms.{n}.threshold: a percent_off campaign has no threshold")
        else:
            try:
                campaign.rules.model_copy(update={"dynamic_threshold": None}).with_threshold(Decimal(arm.threshold))
            except ValidationError as exc:
                problems.append(f"arms.{n}.threshold: {exc.errors()[0]['msg'].removeprefix('Value error, ')}")
    if problems:
        raise _invalid(problems)


def _find(repo: ExperimentRepository, experiment_id: str) -> dict[str, Any]:
    record = repo.get(experiment_id)
    if record is None:
        raise ApiError(404, "unknown_experiment", "No such experiment.")
    return record


@router.get("", response_model=ExperimentList)
async def list_experiments(
    runtime: RuntimeDep, _: Marketer,
    campaign_id: Annotated[str | None, Query(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")] = None,
    status: Annotated[Literal["running", "stopped"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> dict[str, Any]:
    """Experiments, newest first (`campaign_id` and `status` filter), with the customers assigned per arm."""
    rows = await asyncio.to_thread(ExperimentRepository(runtime.sessions).list, campaign_id=campaign_id,
                                   status=status, limit=limit)
    now = runtime.agent.clock()
    return {"experiments": [_out(r, now) for r in rows]}


@router.post("", status_code=201, response_model=ExperimentOut)
async def create_experiment(body: ExperimentCreate, runtime: RuntimeDep, operator: Marketer) -> dict[str, Any]:
    """A new experiment, running from `starts_at`; 409 `experiment_exists` (the id is taken) or
    `experiment_running` (the campaign has one already)."""

    def create() -> dict[str, Any]:
        now = runtime.agent.clock()
        _check_store(runtime, body, now)
        repo = ExperimentRepository(runtime.sessions)
        if repo.running_on(body.campaign_id, now):
            raise ApiError(409, "experiment_running", f"The campaign {body.campaign_id} has a running experiment; "
                                                      "stop it first.")
        experiment_id = body.id or f"x{secrets.token_hex(4)}"
        spec = ExperimentSpec.model_validate(body.model_dump(exclude={"id", "note"}))
        try:
            record = repo.create(experiment_id, spec, operator.username, " ".join(body.note.split()), now)
        except ExperimentExists as exc:
            raise ApiError(409, "experiment_exists", f"An experiment with the id {experiment_id} exists.") from exc
        return _out(record, now)

    return await asyncio.to_thread(create)


@router.get("/{experiment_id}", response_model=ExperimentOut)
async def get_experiment(experiment_id: ExperimentId, runtime: RuntimeDep, _: Marketer) -> dict[str, Any]:
    record = await asyncio.to_thread(_find, ExperimentRepository(runtime.sessions), experiment_id)
    return _out(record, runtime.agent.clock())


@router.post("/{experiment_id}/stop", response_model=ExperimentOut)
async def stop_experiment(experiment_id: ExperimentId, body: StopBody, runtime: RuntimeDep,
                          operator: Marketer) -> dict[str, Any]:
    """Stop assigning and counting now (customers keep the arm they had until the campaign's own end)."""
    now = runtime.agent.clock()
    record = await asyncio.to_thread(ExperimentRepository(runtime.sessions).stop, experiment_id, operator.username,
                                     now)
    if record is None:
        raise ApiError(404, "unknown_experiment", "No such experiment.")
    return _out(record, now)


@router.get("/{experiment_id}/readout", response_model=ReadoutOut)
async def experiment_readout(experiment_id: ExperimentId, runtime: RuntimeDep, _: Marketer) -> dict[str, Any]:
    """Conversion per arm, uplift against the control with 95% intervals, p-value and sample-size note."""

    def read() -> dict[str, Any]:
        repo = ExperimentRepository(runtime.sessions)
        record = _find(repo, experiment_id)
        experiment = Experiment.model_validate(record)
        now = runtime.agent.clock()
        until = experiment.until(now)
        assignments = repo.assignments(experiment_id)
        result = readout(experiment, assignments, repo.conversions(experiment, assignments, until), until)
        return {**result.model_dump(), "experiment": _out(record, now)}

    return await asyncio.to_thread(read)
