"""The forecast's inputs as plain data: a daily series of orders and revenue (store-local days), the windows and
terms of past campaigns, and the offer a marketer proposes. `daily_history` builds them from order rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np

OfferKind = Literal["full_reduction", "percent_off"]


@dataclass(frozen=True, slots=True)
class Offer:
    """An offer's terms as the effect model sees them: full_reduction = 满`threshold`减`discount` (yuan);
    percent_off = `discount` percent off. `scope_share` is the share of orders with something in scope (1:
    store-wide); `categories` names the scope (empty: store-wide)."""

    kind: OfferKind
    discount: float
    threshold: float = 0.0
    scope_share: float = 1.0
    categories: tuple[str, ...] = ()

    @property
    def depth(self) -> float:
        """What a qualifying basket saves, as a share: 满300减50 -> 0.167; 15% off -> 0.15."""
        return self.discount / 100 if self.kind == "percent_off" else self.discount / self.threshold

    def modifiers(self) -> dict[str, float]:
        """The effect modifiers: depth, threshold (thousands of yuan; 0 for percent off), scope share."""
        return {"depth": self.depth, "threshold_k": self.threshold / 1000, "scope": self.scope_share}


@dataclass(frozen=True, slots=True)
class PastCampaign:
    id: str
    offer: Offer
    first: date  # first and last store-local day it ran
    last: date
    festival: bool = False

    def days(self) -> list[date]:
        return [self.first + timedelta(days=k) for k in range((self.last - self.first).days + 1)]


@dataclass(frozen=True, slots=True)
class DailyHistory:
    """Orders and revenue per store-local day, `start` onwards, no gaps; `festival` marks the store's festival
    days (a seasonal factor of their own)."""

    start: date
    orders: np.ndarray
    revenue: np.ndarray
    festival: np.ndarray

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=k) for k in range(len(self.orders))]

    @property
    def end(self) -> date:
        """The day after the last one."""
        return self.start + timedelta(days=len(self.orders))

    def index(self, day: date) -> int:
        return (day - self.start).days

    def until(self, day: date) -> DailyHistory:
        """The days before `day`."""
        n = max(0, self.index(day))
        return DailyHistory(self.start, self.orders[:n], self.revenue[:n], self.festival[:n])


def is_festival(day: date) -> bool:
    """Singles' Day (Nov 1-11) and 618 (Jun 1-18): the store's festivals."""
    return (day.month == 11 and day.day <= 11) or (day.month == 6 and day.day <= 18)


def daily_history(orders: Iterable[Mapping[str, Any]], *, tz: str, until: date) -> DailyHistory:
    """Orders (`placed_at`, `total`, `status`) summed per store-local day up to, not including, `until`;
    cancelled and unpaid orders are left out (no revenue)."""
    zone = ZoneInfo(tz)
    counts: dict[date, int] = {}
    sums: dict[date, float] = {}
    for o in orders:
        if o["status"] in ("cancelled", "pending_payment"):
            continue
        placed: datetime = o["placed_at"]
        day = placed.astimezone(zone).date() if placed.tzinfo else placed.date()
        if day >= until:
            continue
        counts[day] = counts.get(day, 0) + 1
        sums[day] = sums.get(day, 0.0) + float(o["total"])
    if not counts:
        raise ValueError("no orders to forecast from")
    start = min(counts)
    days = [start + timedelta(days=k) for k in range((until - start).days)]
    return DailyHistory(start, np.array([counts.get(d, 0) for d in days], dtype=float),
                        np.array([sums.get(d, 0.0) for d in days]), np.array([is_festival(d) for d in days]))


def scope_share(categories: Sequence[str], order_categories: Sequence[set[str]]) -> float:
    """The share of orders with a line in one of `categories` (1 for an empty scope: store-wide)."""
    if not categories or not order_categories:
        return 1.0
    wanted = set(categories)
    return sum(1 for cats in order_categories if cats & wanted) / len(order_categories)


def offer_of_rules(rules: Mapping[str, Any], share: float = 1.0) -> Offer | None:
    """The offer of an automatic campaign's rules (first tier of a 满减); None for coupons and member days."""
    categories = tuple(rules.get("categories") or ())
    if rules.get("day_of_month"):
        return None
    if rules.get("type") == "threshold" and rules.get("tiers"):
        tier = rules["tiers"][0]
        return Offer("full_reduction", float(tier["discount"]), float(tier["min_spend"]), share, categories)
    if rules.get("type") == "percent_off" and rules.get("percent_off"):
        return Offer("percent_off", float(rules["percent_off"]), 0.0, share, categories)
    return None


def past_campaigns(campaigns: Iterable[Mapping[str, Any]], *, tz: str, shares: Mapping[tuple[str, ...], float],
                   until: date) -> list[PastCampaign]:
    """The automatic campaigns that started before `until` (their windows cut there), oldest first. `shares`:
    scope (sorted categories) -> share of orders it reaches."""
    zone = ZoneInfo(tz)
    out = []
    for c in campaigns:
        cats = tuple(sorted(c["rules"].get("categories") or ()))
        offer = offer_of_rules(c["rules"], shares.get(cats, 1.0))
        first = c["starts_at"].astimezone(zone).date()
        if offer is None or first >= until:
            continue
        last = min(c["ends_at"].astimezone(zone).date(), until - timedelta(days=1))
        out.append(PastCampaign(str(c["id"]), offer, first, last, festival=c.get("kind") == "festival"))
    return sorted(out, key=lambda p: (p.first, p.id))
