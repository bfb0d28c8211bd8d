"""A campaign's rules as marketers write them, validated with messages a marketer can act on.

Three kinds of offer: `threshold` (满300减50, tiers), `percent_off` (9折), and `coupon` (a coupon a customer
claims: ¥20 off orders of ¥199, valid N days). Any of them may be scoped to categories or products (with
exclusions) and held to a day of the month (member day). Who may have it (`segments`), how much it may give
away in all (`budget`, in yuan of discount committed) and how often per customer (`per_customer_limit`) are
campaign fields beside the rules. Money is `Decimal` with two places, never float.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

CENT = Decimal("0.01")
RULE_TYPES = ("threshold", "percent_off", "coupon")
AUTOMATIC_TYPES = ("threshold", "percent_off")  # applied at checkout; nothing to claim
STATUSES = ("active", "paused", "ended")  # the marketer's switch; whether it runs now also needs its window
MEMBERSHIP_TIERS = ("regular", "silver", "gold", "platinum")
# Who a campaign is for: customers with no order yet, customers with one, or a membership tier. A campaign
# with several segments is for anyone in any of them; with none, for everyone (anonymous visitors included).
SEGMENTS = ("new_customer", "returning", *MEMBERSHIP_TIERS)
MAX_TIERS = 5

Money = Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=2)]
MoneyOrZero = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]
Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
Segment = Literal["new_customer", "returning", "regular", "silver", "gold", "platinum"]
Status = Literal["active", "paused", "ended"]


CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed without mistakes


def coupon_code() -> str:
    """A new coupon code customers can read out: CP + 8 characters (never shaped like an order id, KF + digits)."""
    return "CP" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def money(value: Any) -> Decimal:
    """A yuan amount to two places (half up), from a Decimal, int or numeric string."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _invalid(field: str | None, message: str) -> PydanticCustomError:
    """An error whose message names the field it is about (a model-level check has no field of its own)."""
    return PydanticCustomError("campaign_rules", f"{field}: {message}" if field else message)


class SpendTier(BaseModel):
    """满`min_spend`减`discount`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_spend: Money
    discount: Money

    @model_validator(mode="after")
    def _gives_less_than_it_asks(self) -> SpendTier:
        if self.discount >= self.min_spend:
            raise _invalid("discount", f"must be less than min_spend ({self.discount} off {self.min_spend} would "
                                       "give the goods away)")
        return self


MAX_LEVELS = 50


class DynamicThreshold(BaseModel):
    """Lets the system move the campaign's threshold (the lowest tier's `min_spend`, or a coupon's) between `min`
    and `max` in steps of `step`: `bandit` learns which level earns the most margin-adjusted revenue per offer
    (`margin`: the store's gross margin on what is bought); `participation` lowers it a step while fewer than
    `target_participation` of the customers offered it take part. `min_offers` offers at a level come before it
    moves again. `pinned`: the marketer holds the level where it is (the system moves nothing)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    min: Money
    max: Money
    step: Money
    policy: Literal["bandit", "participation"] = "participation"
    target_participation: Annotated[float, Field(gt=0, lt=1)] | None = None
    margin: Annotated[float, Field(gt=0, le=1)] = 0.3
    min_offers: Annotated[int, Field(ge=1, le=100000)] = 30
    pinned: bool = False

    @model_validator(mode="after")
    def _levels(self) -> DynamicThreshold:
        if self.max < self.min:
            raise _invalid("dynamic_threshold.max", f"must not be below min ({self.min})")
        span = self.max - self.min
        if span % self.step != 0:
            raise _invalid("dynamic_threshold.step", f"must divide max - min ({span}) into whole steps")
        if span / self.step + 1 > MAX_LEVELS:
            raise _invalid("dynamic_threshold.step", f"gives more than {MAX_LEVELS} levels between min and max")
        if self.policy == "participation" and self.target_participation is None:
            raise _invalid("dynamic_threshold.target_participation",
                           "the participation policy needs a target, e.g. 0.15 for 15% of customers offered it")
        return self

    def levels(self) -> list[Decimal]:
        count = int((self.max - self.min) / self.step) + 1
        return [money(self.min + i * self.step) for i in range(count)]

    def data(self) -> dict[str, Any]:
        out: dict[str, Any] = {"min": _num(self.min), "max": _num(self.max), "step": _num(self.step),
                               "policy": self.policy, "margin": self.margin, "min_offers": self.min_offers}
        if self.target_participation is not None:
            out["target_participation"] = self.target_participation
        if self.pinned:
            out["pinned"] = True
        return out


class CampaignRules(BaseModel):
    """What a campaign gives and on what. Fields belong to one type each (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["threshold", "percent_off", "coupon"]
    tiers: list[SpendTier] = Field(default_factory=list, max_length=MAX_TIERS)  # threshold
    percent_off: Annotated[Decimal, Field(gt=0, lt=100, max_digits=4, decimal_places=1)] | None = None
    discount: Money | None = None  # coupon: its face value
    min_spend: MoneyOrZero = Decimal("0")  # coupon: the spend it needs (0: none)
    valid_days: Annotated[int, Field(ge=1, le=365)] | None = None  # coupon: days valid after claiming
    day_of_month: Annotated[int, Field(ge=1, le=28)] | None = None  # only on this day (store time zone)
    categories: list[Key] = Field(default_factory=list, max_length=50)  # only these (empty: everything)
    products: list[Key] = Field(default_factory=list, max_length=200)
    exclude_categories: list[Key] = Field(default_factory=list, max_length=50)
    exclude_products: list[Key] = Field(default_factory=list, max_length=200)
    keywords: list[Word] = Field(default_factory=list, max_length=10)  # what customers call it: 新人券, welcome
    dynamic_threshold: DynamicThreshold | None = None  # threshold and coupon: the system may move the threshold

    @field_validator("tiers")
    @classmethod
    def _tiers_climb(cls, tiers: list[SpendTier]) -> list[SpendTier]:
        for n, (low, high) in enumerate(pairwise(tiers), start=2):
            if high.min_spend <= low.min_spend:
                raise _invalid(None, f"tier {n} (min_spend {high.min_spend}) must ask more than tier {n - 1} "
                                        f"({low.min_spend}); list tiers from the lowest threshold up")
            if high.discount <= low.discount:
                raise _invalid(None, f"tier {n} (min_spend {high.min_spend}) must give more than tier {n - 1} "
                                        f"({high.discount} is not more than {low.discount})")
        return tiers

    @model_validator(mode="after")
    def _fields_fit_the_type(self) -> CampaignRules:
        kind = self.type
        given = {name for name in ("tiers", "percent_off", "discount", "valid_days") if getattr(self, name)}
        own = {"threshold": {"tiers"}, "percent_off": {"percent_off"}, "coupon": {"discount", "valid_days"}}[kind]
        if stray := sorted(given - own):
            raise _invalid(stray[0], f"does not apply to a {kind} campaign")
        if kind == "threshold" and not self.tiers:
            raise _invalid("tiers", "a threshold campaign needs at least one tier, e.g. "
                                    'min_spend 300 and discount 50 for 满300减50')
        if kind == "percent_off" and self.percent_off is None:
            raise _invalid("percent_off", "a percent_off campaign needs percent_off, e.g. 10 for 10% off (9折)")
        if kind == "coupon":
            if self.discount is None:
                raise _invalid("discount", "a coupon campaign needs the coupon's face value (discount)")
            if self.min_spend and self.discount >= self.min_spend:
                raise _invalid("discount", f"must be less than min_spend ({self.discount} off {self.min_spend})")
        if kind != "coupon" and self.min_spend:
            raise _invalid("min_spend", f"does not apply to a {kind} campaign (thresholds go in tiers)")
        for scope, excluded in (("categories", "exclude_categories"), ("products", "exclude_products")):
            if both := sorted(set(getattr(self, scope)) & set(getattr(self, excluded))):
                raise _invalid(excluded, f"{', '.join(both)} is both included ({scope}) and excluded")
        if self.dynamic_threshold is not None:
            self._dynamic_fits(self.dynamic_threshold)
        return self

    def _dynamic_fits(self, dt: DynamicThreshold) -> None:
        """Every level keeps the rules valid, and the threshold in force is one of the levels."""
        if self.type == "percent_off":
            raise _invalid("dynamic_threshold", "does not apply to a percent_off campaign (it has no threshold)")
        current, discount = self.threshold, (self.tiers[0].discount if self.tiers else self.discount)
        if discount is not None and dt.min <= discount:
            raise _invalid("dynamic_threshold.min", f"must be more than the discount ({discount})")
        if len(self.tiers) > 1 and dt.max >= self.tiers[1].min_spend:
            raise _invalid("dynamic_threshold.max", f"must stay below tier 2's min_spend ({self.tiers[1].min_spend})")
        if current not in dt.levels():
            raise _invalid("dynamic_threshold", f"the threshold now ({current}) must be one of its levels "
                                                f"({dt.min} to {dt.max} in steps of {dt.step})")

    @property
    def threshold(self) -> Decimal:
        """The threshold a dynamic threshold moves: the lowest tier's min_spend, or the coupon's."""
        return self.tiers[0].min_spend if self.tiers else self.min_spend

    def with_threshold(self, level: Decimal) -> CampaignRules:
        """These rules with the threshold at `level` (validated: a level that breaks them raises)."""
        data = self.data()
        if self.tiers:
            data["tiers"][0]["min_spend"] = _num(money(level))
        else:
            data["min_spend"] = _num(money(level))
        return CampaignRules.model_validate(data)

    def data(self) -> dict[str, Any]:
        """The rules as stored (JSON): amounts as numbers of yuan, empty fields left out."""
        out: dict[str, Any] = {"type": self.type}
        if self.tiers:
            out["tiers"] = [{"min_spend": _num(t.min_spend), "discount": _num(t.discount)} for t in self.tiers]
        for name in ("percent_off", "discount"):
            if (value := getattr(self, name)) is not None:
                out[name] = _num(value)
        if self.min_spend:
            out["min_spend"] = _num(self.min_spend)
        for name in ("valid_days", "day_of_month"):
            if (value := getattr(self, name)) is not None:
                out[name] = value
        for name in ("categories", "products", "exclude_categories", "exclude_products", "keywords"):
            if value := getattr(self, name):
                out[name] = list(value)
        if self.dynamic_threshold is not None:
            out["dynamic_threshold"] = self.dynamic_threshold.data()
        return out

    @property
    def automatic(self) -> bool:
        return self.type in AUTOMATIC_TYPES


def _num(value: Decimal) -> int | float:
    """JSON number of yuan: 300, 19.9."""
    return int(value) if value == value.to_integral_value() else float(value)


class CampaignSpec(BaseModel):
    """Everything a marketer sets on a campaign."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name_zh: str = Field(min_length=1, max_length=120)
    name_en: str = Field(min_length=1, max_length=160)
    kind: str = Field(default="promotion", min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    rules: CampaignRules
    budget: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)] | None = None  # None: no cap
    per_customer_limit: Annotated[int, Field(ge=1, le=100)] | None = None  # None: coupon 1, others no cap
    segments: list[Segment] = Field(default_factory=list, max_length=len(SEGMENTS))

    @field_validator("segments")
    @classmethod
    def _no_repeats(cls, segments: list[str]) -> list[str]:
        if len(set(segments)) != len(segments):
            raise _invalid(None, "name each segment once")
        return segments

    @model_validator(mode="after")
    def _window_and_limits(self) -> CampaignSpec:
        if self.ends_at <= self.starts_at:
            raise _invalid("ends_at", "must be after starts_at")
        if self.rules.type == "coupon" and self.per_customer_limit is None:
            self.per_customer_limit = 1  # a claimable coupon is once per customer unless the marketer says more
        if self.budget is not None and self.rules.type == "coupon" and self.budget < (self.rules.discount or 0):
            raise _invalid("budget", f"is less than one coupon ({self.rules.discount})")
        return self


class Campaign(CampaignSpec):
    """A stored campaign: the spec plus its id, the marketer's status and the discount committed so far."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=32)
    status: Status = "active"
    spent: Annotated[Decimal, Field(ge=0)] = Decimal("0")

    def name(self, language: str) -> str:
        return self.name_zh if language == "zh" else self.name_en

    def running(self, now: datetime) -> bool:
        """Switched on and inside its window (the day of month aside)."""
        return self.status == "active" and self.starts_at <= now <= self.ends_at

    @property
    def budget_left(self) -> Decimal | None:
        return None if self.budget is None else max(Decimal("0"), money(self.budget - self.spent))


def validation_messages(error: Any) -> list[str]:
    """`field.path: message` for every error of a pydantic `ValidationError` (what the API shows a marketer)."""
    out = []
    for e in error.errors():
        where = ".".join(str(x) for x in e.get("loc", ()) if x != "body")
        message = str(e.get("msg", "invalid value")).removeprefix("Value error, ")
        out.append(f"{where}: {message}" if where else message)
    return out
