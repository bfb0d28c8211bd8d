"""`ExperimentRepository`: experiments on campaigns as marketers define them, each customer's arm (once: the
unique key settles two workers assigning at once), and the facts a readout counts.

Assignment takes the customer's place in their stratum (how many were assigned there before) and gives them
that place's arm of a permuted block (`tools.marketing.experiments.arm_by_block`), so each stratum stays
balanced. What converts, per metric: `claimed` a coupon of the campaign issued to the customer; `redeemed`
that coupon used on an order (for a campaign applied at checkout: an order on which the campaign, as the
customer's arm has it, takes something off); `revenue` every order not cancelled, at its total.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from server.db.campaigns import campaign_record
from server.db.models import Campaign as CampaignRow
from server.db.models import Coupon, Experiment, ExperimentAssignment, Order, OrderLine, Product
from server.db.reads import reading
from server.db.rows import Validated
from tools.marketing.campaigns import Campaign, Line
from tools.marketing.campaigns.thresholds import progress
from tools.marketing.experiments import Assignment, Conversion, ExperimentSpec, arm_by_block
from tools.marketing.experiments import Experiment as ExperimentModel
from tools.marketing.experiments.placing import Placement, applied

ASSIGN_TRIES = 3
# What every offer turn reads (Core, on the session's connection: cheaper than the ORM's entity loading)
_EXPERIMENTS = Experiment.__table__
_RUNNING = (
    select(_EXPERIMENTS)
    .where(
        _EXPERIMENTS.c.status == "running",
        _EXPERIMENTS.c.starts_at <= bindparam("now"),
        _EXPERIMENTS.c.ends_at >= bindparam("now"),
    )
    .order_by(_EXPERIMENTS.c.created_at)
)
_ARM_OF = select(ExperimentAssignment.arm).where(
    ExperimentAssignment.experiment_id == bindparam("experiment_id"),
    ExperimentAssignment.customer_id == bindparam("customer_id"),
)


class ExperimentExists(Exception):
    """An experiment with that id exists already."""


def experiment_record(e: Experiment | Row[Any]) -> dict[str, Any]:
    return {"id": e.id, "campaign_id": e.campaign_id, "name": e.name, "arms": list(e.arms or []),
            "metric": e.metric, "strata": list(e.strata or []), "min_detectable_effect": e.min_detectable_effect,
            "starts_at": e.starts_at, "ends_at": e.ends_at, "status": e.status, "created_by": e.created_by,
            "created_at": e.created_at, "stopped_at": e.stopped_at, "stopped_by": e.stopped_by, "note": e.note}


class ExperimentRepository:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory
        self._validated = Validated(lambda rows: [ExperimentModel.model_validate(experiment_record(e)) for e in rows])

    # --- marketers' side ---------------------------------------------------------------------------------

    def create(self, experiment_id: str, spec: ExperimentSpec, actor: str, note: str, now: datetime) -> dict[str, Any]:
        try:
            with self._sessions.begin() as s:
                if s.get(Experiment, experiment_id) is not None:
                    raise ExperimentExists(experiment_id)
                s.add(Experiment(id=experiment_id, campaign_id=spec.campaign_id, name=spec.name,
                                 arms=[a.model_dump(mode="json") for a in spec.arms], metric=spec.metric,
                                 strata=list(spec.strata), min_detectable_effect=spec.min_detectable_effect,
                                 starts_at=spec.starts_at, ends_at=spec.ends_at, status="running", created_by=actor,
                                 created_at=now, note=note))
        except IntegrityError as exc:
            raise ExperimentExists(experiment_id) from exc
        return self.get(experiment_id) or {}

    def get(self, experiment_id: str) -> dict[str, Any] | None:
        with self._sessions() as s:
            e = s.get(Experiment, experiment_id)
            return self._with_counts(s, [e])[0] if e is not None else None

    def list(self, *, campaign_id: str | None = None, status: str | None = None,
             limit: int = 100) -> list[dict[str, Any]]:
        stmt = select(Experiment).order_by(Experiment.created_at.desc(), Experiment.id).limit(limit)
        if campaign_id is not None:
            stmt = stmt.where(Experiment.campaign_id == campaign_id)
        if status is not None:
            stmt = stmt.where(Experiment.status == status)
        with self._sessions() as s:
            return self._with_counts(s, list(s.scalars(stmt)))

    @staticmethod
    def _with_counts(s: Session, rows: list[Experiment]) -> list[dict[str, Any]]:
        ids = [e.id for e in rows]
        counts: dict[str, dict[str, int]] = defaultdict(dict)
        if ids:
            for eid, arm, n in s.execute(select(ExperimentAssignment.experiment_id, ExperimentAssignment.arm,
                                                func.count()).where(ExperimentAssignment.experiment_id.in_(ids))
                                         .group_by(ExperimentAssignment.experiment_id, ExperimentAssignment.arm)):
                counts[eid][arm] = int(n)
        return [{**experiment_record(e), "assigned": counts.get(e.id, {})} for e in rows]

    def running_on(self, campaign_id: str, now: datetime) -> list[str]:
        """Ids of the experiments of the campaign that run now or are to start (one at a time per campaign)."""
        with self._sessions() as s:
            return list(s.scalars(select(Experiment.id).where(Experiment.campaign_id == campaign_id,
                                                              Experiment.status == "running",
                                                              Experiment.ends_at >= now)))

    def stop(self, experiment_id: str, actor: str, now: datetime) -> dict[str, Any] | None:
        """Stop it (counting stops now); None for an unknown id. Stopping twice keeps the first stop."""
        with self._sessions.begin() as s:
            e = s.get(Experiment, experiment_id, with_for_update=True)
            if e is None:
                return None
            if e.status == "running":
                e.status, e.stopped_at, e.stopped_by = "stopped", now, actor
        return self.get(experiment_id)

    # --- the tools' side (tools.marketing.experiments.ports.ExperimentStore) ---------------------------

    def running(self, now: datetime) -> list[ExperimentModel]:
        """Read on every call; the (frozen) models are reused only while the rows read are equal to those they were
        validated from, so a stop or a new experiment in any worker is seen by the next offer turn."""
        with reading(self._sessions) as s:
            rows = s.connection().execute(_RUNNING, {"now": now}).all()
        return self._validated(rows)

    def arm_of(self, experiment_id: str, customer_id: str) -> str | None:
        with reading(self._sessions) as s:
            ids = {"experiment_id": experiment_id, "customer_id": customer_id}
            return s.connection().execute(_ARM_OF, ids).scalar()

    def assign(self, experiment: ExperimentModel, customer_id: str, stratum: str, conversation_id: str,
               now: datetime) -> tuple[str, bool]:
        for _ in range(ASSIGN_TRIES):
            found = self.arm_of(experiment.id, customer_id)
            if found is not None:
                return found, False
            try:
                with self._sessions.begin() as s:
                    position = s.scalar(select(func.count()).where(ExperimentAssignment.experiment_id == experiment.id,
                                                                   ExperimentAssignment.stratum == stratum)) or 0
                    arm = arm_by_block(experiment, experiment.id, stratum, int(position), customer_id).key
                    s.add(ExperimentAssignment(experiment_id=experiment.id, customer_id=customer_id, arm=arm,
                                               stratum=stratum, position=int(position),
                                               conversation_id=conversation_id, assigned_at=now))
                return arm, True
            except IntegrityError:  # assigned meanwhile by another worker: theirs stands
                continue
        found = self.arm_of(experiment.id, customer_id)
        if found is None:
            raise RuntimeError(f"could not assign {customer_id} in {experiment.id}")
        return found, False

    # --- what the readout counts -------------------------------------------------------------------------

    def assignments(self, experiment_id: str) -> list[Assignment]:
        with self._sessions() as s:
            return [Assignment(c, arm, stratum, at) for c, arm, stratum, at in s.execute(
                select(ExperimentAssignment.customer_id, ExperimentAssignment.arm, ExperimentAssignment.stratum,
                       ExperimentAssignment.assigned_at).where(ExperimentAssignment.experiment_id == experiment_id)
                .order_by(ExperimentAssignment.id))]

    def conversions(self, experiment: ExperimentModel, assignments: list[Assignment],
                    until: datetime) -> list[Conversion]:
        customers = sorted({a.customer_id for a in assignments})
        if not customers:
            return []
        with self._sessions() as s:
            row = s.get(CampaignRow, experiment.campaign_id)
            if row is None:
                return []
            campaign = Campaign.model_validate(campaign_record(row))
            if experiment.metric == "claimed":
                return [Conversion(c, at) for c, at in s.execute(
                    select(Coupon.customer_id, Coupon.issued_at).where(
                        Coupon.campaign_id == campaign.id, Coupon.customer_id.in_(customers),
                        Coupon.issued_at.is_not(None)))]
            if experiment.metric == "redeemed" and campaign.rules.type == "coupon":
                return [Conversion(c, at, float(total)) for c, at, total in s.execute(
                    select(Coupon.customer_id, Order.placed_at, Order.total)
                    .join(Order, Order.id == Coupon.used_order_id)
                    .where(Coupon.campaign_id == campaign.id, Coupon.customer_id.in_(customers),
                           Coupon.status == "used"))]
            orders = s.execute(select(Order.id, Order.customer_id, Order.placed_at, Order.total).where(
                Order.customer_id.in_(customers), Order.status != "cancelled", Order.placed_at >= experiment.starts_at,
                Order.placed_at <= until)).all()
            if experiment.metric == "revenue":
                return [Conversion(c, at, float(total)) for _, c, at, total in orders]
            lines: dict[str, list[Line]] = defaultdict(list)
            ids = [o[0] for o in orders]
            if ids:
                for oid, pid, cat, price, qty in s.execute(
                        select(OrderLine.order_id, OrderLine.product_id, Product.category_key, OrderLine.unit_price,
                               OrderLine.quantity).join(Product, Product.id == OrderLine.product_id)
                        .where(OrderLine.order_id.in_(ids))):
                    lines[oid].append(Line(pid, cat, Decimal(price) * qty))
        arms = {a.customer_id: a.arm for a in assignments}
        out = []
        for oid, c, at, total in orders:
            arm = experiment.arm(arms.get(c, ""))
            placed = applied(campaign, Placement(experiment, arm, "", False) if arm else None)
            if progress(placed.rules, lines.get(oid, [])).saving > 0:
                out.append(Conversion(c, at, float(total)))
        return out
