"""Experiments in memory (`tools.marketing.experiments.ports.ExperimentStore`): permuted-block assignment per
stratum like the SQL store, or a forced arm (`force`) for tests that need one."""

from __future__ import annotations

import threading
from datetime import datetime

from tools.marketing.experiments import Experiment, arm_by_block


class MemoryExperiments:
    def __init__(self, experiments: list[Experiment] | None = None, force: str | None = None) -> None:
        self.experiments = list(experiments or [])
        self.force = force
        self.assigned: dict[tuple[str, str], tuple[str, str]] = {}  # (experiment, customer) -> (arm, stratum)
        self._lock = threading.Lock()

    def running(self, now: datetime) -> list[Experiment]:
        return [e for e in self.experiments if e.running(now)]

    def assign(self, experiment: Experiment, customer_id: str, stratum: str, conversation_id: str,
               now: datetime) -> tuple[str, bool]:
        with self._lock:
            key = (experiment.id, customer_id)
            if key in self.assigned:
                return self.assigned[key][0], False
            position = sum(1 for (e, _), (_, s) in self.assigned.items() if e == experiment.id and s == stratum)
            arm = self.force or arm_by_block(experiment, experiment.id, stratum, position).key
            self.assigned[key] = (arm, stratum)
            return arm, True

    def arm_of(self, experiment_id: str, customer_id: str) -> str | None:
        found = self.assigned.get((experiment_id, customer_id))
        return found[0] if found else None
