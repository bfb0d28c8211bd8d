"""The experiments the console's campaign readout and the marketer's chat show (`experiments_hook.PROVIDER`): each
experiment of a campaign (or all) with its readout folded into the table's shape — arms with customers and
conversions, the first challenger's uplift against the control with its 95% interval, its p-value and the note."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from server.db.experiments import ExperimentRepository
from tools.marketing.experiments import Experiment, readout


def experiments_summary(sessions: sessionmaker[Session], *, campaign_id: str | None = None,
                        now: datetime | None = None) -> list[dict[str, Any]]:
    repo = ExperimentRepository(sessions)
    now = now or datetime.now(UTC)
    rows = []
    for record in repo.list(campaign_id=campaign_id):
        experiment = Experiment.model_validate(record)
        until = experiment.until(now)
        assignments = repo.assignments(experiment.id)
        result = readout(experiment, assignments, repo.conversions(experiment, assignments, until), until)
        first = result.comparisons[0] if result.comparisons else None
        rows.append({
            "id": record["id"], "name": record["name"], "campaign_id": record["campaign_id"],
            "status": str(record["status"]), "metric": result.metric,
            "arms": [{"name": a.label, "n": a.customers, "conversions": a.conversions, "rate": a.rate}
                     for a in result.arms],
            "uplift": None if first is None else {"abs": first.absolute, "rel": first.relative,
                                                  "low": first.absolute_low, "high": first.absolute_high},
            "p_value": None if first is None else first.p_value,
            "note": result.note,
        })
    return rows
