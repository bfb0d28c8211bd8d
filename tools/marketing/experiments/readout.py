"""An experiment's readout from its assignments and the conversions that followed them.

A customer counts in the arm they were assigned. They converted when a conversion of theirs (a claim, a
redemption, an order: whatever the metric counts) falls between their assignment and where counting stops;
for `revenue` their value is the sum of those orders (0 without one). Each other arm is compared with the
control (the first): for claimed and redeemed the difference in conversion with Newcombe's interval, the
relative uplift with a log-method interval and the two-proportion p-value; for revenue the difference in
revenue per customer with Welch's interval and p-value. The sample-size note says how many customers per arm
the observed effect needs, and the effect worth detecting (`min_detectable_effect`, else a tenth of the
control's figure), at 80% power and 5% two-sided; figures come per stratum too.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

from tools.marketing.experiments import stats
from tools.marketing.experiments.spec import ExperimentSpec

ALPHA = 0.05
POWER = 0.8


@dataclass(frozen=True, slots=True)
class Assignment:
    customer_id: str
    arm: str
    stratum: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Conversion:
    """Something the metric counts: a claim, a redemption or an order (`value`: its revenue in yuan)."""

    customer_id: str
    at: datetime
    value: float = 1.0


@dataclass(slots=True)
class ArmCounts:
    key: str
    customers: int = 0
    conversions: int = 0
    total: float = 0.0  # revenue
    total_sq: float = 0.0  # sum of each customer's revenue squared

    def add(self, value: float | None) -> None:
        self.customers += 1
        if value is not None:
            self.conversions += 1
            self.total += value
            self.total_sq += value * value

    @property
    def mean(self) -> float:
        return self.total / self.customers if self.customers else 0.0

    @property
    def variance(self) -> float:
        n = self.customers
        if n < 2:
            return 0.0
        return max(0.0, (self.total_sq - n * self.mean**2) / (n - 1))


def tally(spec: ExperimentSpec, assignments: Iterable[Assignment], conversions: Iterable[Conversion],
          until: datetime) -> tuple[list[ArmCounts], dict[str, list[ArmCounts]]]:
    """Counts per arm (in the spec's order), overall and per stratum."""
    by_customer: dict[str, list[Conversion]] = defaultdict(list)
    for c in conversions:
        by_customer[c.customer_id].append(c)
    keys = [a.key for a in spec.arms]
    overall = {k: ArmCounts(k) for k in keys}
    strata: dict[str, dict[str, ArmCounts]] = {}
    for a in assignments:
        if a.arm not in overall:
            continue
        hits = [c.value for c in by_customer.get(a.customer_id, []) if a.at <= c.at <= until]
        value = (sum(hits) if spec.metric == "revenue" else 1.0) if hits else None
        overall[a.arm].add(value)
        strata.setdefault(a.stratum, {k: ArmCounts(k) for k in keys})[a.arm].add(value)
    return list(overall.values()), {s: list(v.values()) for s, v in sorted(strata.items())}


class ArmResult(BaseModel):
    key: str
    label: str
    control: bool
    customers: int
    conversions: int
    rate: float | None  # conversions / customers
    rate_low: float | None  # 95% Wilson interval
    rate_high: float | None
    revenue: float  # yuan in all
    revenue_per_customer: float | None


class Comparison(BaseModel):
    """One arm against the control: absolute difference (points of conversion, or yuan per customer) and
    relative uplift, each with its 95% interval, and the p-value."""

    arm: str
    control: str
    absolute: float | None
    absolute_low: float | None
    absolute_high: float | None
    relative: float | None
    relative_low: float | None
    relative_high: float | None
    p_value: float | None
    significant: bool
    needed_per_arm: int | None  # customers per arm to detect the observed effect (80% power, 5% two-sided)
    needed_for_mde: int | None  # … to detect the minimum detectable effect
    mde: float | None


class StratumRow(BaseModel):
    stratum: str
    arms: list[ArmResult]


class Readout(BaseModel):
    metric: str
    alpha: float
    power: float
    until: datetime
    customers: int
    arms: list[ArmResult]
    comparisons: list[Comparison]
    strata: list[StratumRow]
    note: dict[str, str]  # zh, en: what the figures say and whether there is enough data yet


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


def _arms(spec: ExperimentSpec, counts: list[ArmCounts]) -> list[ArmResult]:
    out = []
    for arm, c in zip(spec.arms, counts, strict=True):
        low = high = rate = None
        if c.customers:
            rate = c.conversions / c.customers
            lo, hi = stats.wilson(c.conversions, c.customers, ALPHA)
            low, high = float(lo), float(hi)
        out.append(ArmResult(key=arm.key, label=arm.label or arm.key, control=arm is spec.control,
                             customers=c.customers, conversions=c.conversions, rate=rate, rate_low=low,
                             rate_high=high, revenue=round(c.total, 2),
                             revenue_per_customer=round(c.mean, 4) if c.customers else None))
    return out


def _compare(spec: ExperimentSpec, arm: ArmCounts, control: ArmCounts) -> Comparison:
    empty = arm.customers == 0 or control.customers == 0
    base = {"arm": arm.key, "control": control.key, "mde": spec.min_detectable_effect}
    if empty:
        return Comparison(**base, absolute=None, absolute_low=None, absolute_high=None, relative=None,
                          relative_low=None, relative_high=None, p_value=None, significant=False,
                          needed_per_arm=None, needed_for_mde=None)
    if spec.metric == "revenue":
        d, lo, hi, p = stats.welch(arm.mean, arm.variance, arm.customers, control.mean, control.variance,
                                   control.customers, ALPHA)
        m0 = control.mean
        rel = (float(d) / m0, float(lo) / m0, float(hi) / m0) if m0 > 0 else (math.nan,) * 3
        sd = math.sqrt((arm.variance + control.variance) / 2)
        mde = spec.min_detectable_effect or (m0 / 10 if m0 > 0 else None)
        needed = stats.n_for_means(sd, float(d), ALPHA, POWER)
        needed_mde = stats.n_for_means(sd, mde, ALPHA, POWER) if mde else None
    else:
        x1, n1, x0, n0 = arm.conversions, arm.customers, control.conversions, control.customers
        d, lo, hi = stats.newcombe(x1, n1, x0, n0, ALPHA)
        rel = tuple(float(v) for v in stats.ratio(x1, n1, x0, n0, ALPHA))
        p = stats.two_proportion_p(x1, n1, x0, n0)
        p0, p1 = x0 / n0, x1 / n1
        mde = spec.min_detectable_effect or (p0 / 10 if p0 > 0 else None)
        needed = stats.n_for_proportions(p0, p1, ALPHA, POWER)
        needed_mde = stats.n_for_proportions(p0, min(p0 + mde, 0.999), ALPHA, POWER) if mde else None
    base["mde"] = mde
    pv = _num(float(p))
    return Comparison(**base, absolute=_num(float(d)), absolute_low=_num(float(lo)), absolute_high=_num(float(hi)),
                      relative=_num(rel[0]), relative_low=_num(rel[1]), relative_high=_num(rel[2]), p_value=pv,
                      significant=pv is not None and pv < ALPHA, needed_per_arm=needed, needed_for_mde=needed_mde)


def _pct(x: float | None, revenue: bool) -> str:
    if x is None:
        return "—"
    return f"¥{x:+.2f}" if revenue else f"{x * 100:+.1f}pp"


def _note(spec: ExperimentSpec, arms: list[ArmResult], comparisons: list[Comparison]) -> dict[str, str]:
    if not comparisons or all(c.absolute is None for c in comparisons):
        return {"zh": "还没有足够的数据：每个分组都需要有客户被分配。",
                "en": "Not enough data yet: every arm needs customers assigned."}
    revenue = spec.metric == "revenue"
    zh, en = [], []
    smallest = min(a.customers for a in arms)
    for c in comparisons:
        if c.absolute is None:
            continue
        effect = _pct(c.absolute, revenue)
        ci = f"[{_pct(c.absolute_low, revenue)}, {_pct(c.absolute_high, revenue)}]"
        p = f"{c.p_value:.3f}" if c.p_value is not None else "—"
        if c.significant:
            zh.append(f"{c.arm} 相比 {c.control}：{effect}（95%区间 {ci}，p={p}），差异显著。")
            en.append(f"{c.arm} vs {c.control}: {effect} (95% CI {ci}, p={p}), a significant difference.")
        else:
            zh.append(f"{c.arm} 相比 {c.control}：{effect}（95%区间 {ci}，p={p}），还不能确定有差异。")
            en.append(f"{c.arm} vs {c.control}: {effect} (95% CI {ci}, p={p}), no clear difference yet.")
        if c.needed_for_mde is not None and c.mde is not None:
            mde = f"¥{c.mde:.2f}" if revenue else f"{c.mde * 100:.1f}pp"
            left = max(0, c.needed_for_mde - smallest)
            zh.append(f"要以80%把握检出{mde}的差异，每组需要约{c.needed_for_mde}位客户"
                      + (f"（最少的一组还差{left}位）。" if left else "（已经够了）。"))
            en.append(f"Detecting a {mde} difference with 80% power needs about {c.needed_for_mde} customers per arm"
                      + (f" ({left} more in the smallest arm)." if left else " (reached)."))
    return {"zh": "".join(zh), "en": " ".join(en)}


def readout(spec: ExperimentSpec, assignments: Iterable[Assignment], conversions: Iterable[Conversion],
            until: datetime) -> Readout:
    overall, by_stratum = tally(spec, assignments, conversions, until)
    arms = _arms(spec, overall)
    control = overall[0]
    comparisons = [_compare(spec, c, control) for c in overall[1:]]
    return Readout(metric=spec.metric, alpha=ALPHA, power=POWER, until=until,
                   customers=sum(c.customers for c in overall), arms=arms, comparisons=comparisons,
                   strata=[StratumRow(stratum=s, arms=_arms(spec, counts)) for s, counts in by_stratum.items()],
                   note=_note(spec, arms, comparisons))
