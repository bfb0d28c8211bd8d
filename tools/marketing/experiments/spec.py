"""An experiment as a marketer defines it on a campaign, validated with messages a marketer can act on.

Arms vary what the campaign's customers get: which offer is put first (`offer_id`), its copy variant
(`variant`), or the threshold it asks (`threshold`, the lowest tier's or the coupon's minimum spend); an arm
that sets none of them is the campaign as it is. The first arm is the control the others are compared with.
`weight` is the arm's share of traffic (integers: 1 and 1 is an even split, 9 and 1 is 90/10). Customers are
randomised within strata (`strata`: their segment, new or returning, and their membership tier). `metric` is
what the readout counts: a customer who claimed the campaign's coupon, redeemed it (or bought under the
campaign), or the revenue of their orders, after they were assigned and before the experiment stopped.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

METRICS = ("claimed", "redeemed", "revenue")
STRATA = ("segment", "tier")
STATUSES = ("running", "stopped")
MAX_ARMS = 6

Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
Metric = Literal["claimed", "redeemed", "revenue"]
Stratum = Literal["segment", "tier"]


def _invalid(message: str) -> PydanticCustomError:
    return PydanticCustomError("experiment", message)


class ArmSpec(BaseModel):
    """One arm: its key, share of traffic and what it changes (nothing: the control)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    key: Key
    label: str = Field(default="", max_length=80)
    weight: Annotated[int, Field(ge=1, le=100)] = 1
    offer_id: Key | None = None  # the campaign or coupon put first
    variant: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32,
                                              pattern=r"^[A-Za-z0-9_-]*$")] = ""  # a copy variant
    threshold: Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=2)] | None = None

    @property
    def changes_nothing(self) -> bool:
        return self.offer_id is None and not self.variant and self.threshold is None


class ExperimentSpec(BaseModel):
    """Everything a marketer sets on an experiment."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=120)
    campaign_id: Key
    arms: list[ArmSpec] = Field(min_length=2, max_length=MAX_ARMS)
    metric: Metric = "claimed"
    strata: list[Stratum] = Field(default_factory=lambda: ["segment", "tier"], max_length=len(STRATA))
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    # the effect worth detecting, for the sample-size note: a difference in conversion (0.02 = 2 points) or, for
    # revenue, yuan per customer; None: a tenth of the control's figure
    min_detectable_effect: Annotated[float, Field(gt=0, le=100000)] | None = None

    @field_validator("arms")
    @classmethod
    def _distinct(cls, arms: list[ArmSpec]) -> list[ArmSpec]:
        keys = [a.key for a in arms]
        if len(set(keys)) != len(keys):
            raise _invalid("arms: each arm needs its own key")
        seen: dict[tuple[object, ...], str] = {}
        for a in arms:
            what = (a.offer_id, a.variant, a.threshold)
            if what in seen:
                raise _invalid(f"arms: {a.key} changes the same as {seen[what]}; arms must differ")
            seen[what] = a.key
        return arms

    @field_validator("strata")
    @classmethod
    def _no_repeats(cls, strata: list[str]) -> list[str]:
        if len(set(strata)) != len(strata):
            raise _invalid("strata: name each stratum once")
        return strata

    @model_validator(mode="after")
    def _window(self) -> ExperimentSpec:
        if self.ends_at <= self.starts_at:
            raise _invalid("ends_at: must be after starts_at")
        if self.metric != "revenue" and self.min_detectable_effect is not None and self.min_detectable_effect >= 1:
            raise _invalid("min_detectable_effect: a difference in conversion is below 1 (0.02 is 2 points)")
        return self

    def arm(self, key: str) -> ArmSpec | None:
        return next((a for a in self.arms if a.key == key), None)

    @property
    def control(self) -> ArmSpec:
        return self.arms[0]


class Experiment(ExperimentSpec):
    """A stored experiment: the spec, its id, whether it runs, who made it and when."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=32)
    status: Literal["running", "stopped"] = "running"
    created_by: str = ""
    created_at: datetime | None = None
    stopped_at: datetime | None = None

    def running(self, now: datetime) -> bool:
        return self.status == "running" and self.starts_at <= now <= self.ends_at

    def until(self, now: datetime) -> datetime:
        """Where counting stops: when it was stopped, its end, or now, whichever is first."""
        ends = [self.ends_at, now]
        if self.stopped_at is not None:
            ends.append(self.stopped_at)
        return min(ends)
