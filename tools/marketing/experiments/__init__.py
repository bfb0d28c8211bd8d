"""A/B experiments on campaigns: what a marketer defines (`spec`), who gets which arm (`assign`: stratified by
segment and tier, stable per customer, balanced within strata), and the readout (`readout`: conversion per arm,
absolute and relative uplift with 95% intervals, p-value, the sample size the effect needs; `stats` holds the
interval arithmetic, vectorised). Plain data in and out: the store and the API are in `server/`."""

from tools.marketing.experiments.assign import arm_by_block, arm_by_hash, stratum_of, unit_hash
from tools.marketing.experiments.readout import ArmCounts, Assignment, Conversion, Readout, readout, tally
from tools.marketing.experiments.spec import METRICS, STRATA, ArmSpec, Experiment, ExperimentSpec

__all__ = [
    "METRICS", "STRATA", "ArmCounts", "ArmSpec", "Assignment", "Conversion", "Experiment", "ExperimentSpec",
    "Readout", "arm_by_block", "arm_by_hash", "readout", "stratum_of", "tally", "unit_hash",
]
