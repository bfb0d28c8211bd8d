"""What the offer and coupon tools need from the store to run experiments; `server/db/experiments.py`
implements it (blocking SQL: call it from a worker thread)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from tools.marketing.experiments.spec import Experiment


@runtime_checkable
class ExperimentStore(Protocol):
    def running(self, now: datetime) -> list[Experiment]:
        """Experiments switched on and inside their window (at most one per campaign)."""

    def assign(self, experiment: Experiment, customer_id: str, stratum: str, conversation_id: str,
               now: datetime) -> tuple[str, bool]:
        """The customer's arm, assigning one if they have none (`arm_by_block` on their place in the stratum):
        (arm key, whether it was assigned now)."""

    def arm_of(self, experiment_id: str, customer_id: str) -> str | None:
        """The arm the customer was assigned, or None."""
