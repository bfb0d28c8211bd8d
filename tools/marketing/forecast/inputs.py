"""Everything a forecast needs, from store rows: the daily series, the past campaigns with their scope shares, and
the scope share of a proposed offer. Built once per data snapshot and reused for every proposal."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from tools.marketing.forecast.series import (
    DailyHistory,
    Offer,
    OfferKind,
    PastCampaign,
    daily_history,
    past_campaigns,
    scope_share,
)


@dataclass(frozen=True, slots=True)
class ForecastInputs:
    history: DailyHistory
    campaigns: list[PastCampaign]
    order_categories: list[set[str]]  # per order, the categories it holds

    def offer(self, kind: OfferKind, discount: float, threshold: float = 0.0,
              categories: Sequence[str] = ()) -> Offer:
        """A proposed offer, its scope share measured on the store's orders; refuses terms that make no sense."""
        if discount <= 0:
            raise ValueError("the discount must be positive")
        if kind == "full_reduction" and not threshold > discount:
            raise ValueError("a full reduction (满X减Y) needs a threshold above its discount")
        if kind == "percent_off" and not discount < 100:
            raise ValueError("percent off must be below 100")
        cats = tuple(sorted(set(categories)))
        return Offer(kind, float(discount), float(threshold if kind == "full_reduction" else 0.0),
                     scope_share(cats, self.order_categories), cats)


def build_inputs(orders: Iterable[Mapping[str, Any]], categories_of: Mapping[str, set[str]],
                 campaigns: Iterable[Mapping[str, Any]], *, tz: str, until: date) -> ForecastInputs:
    """`orders`: rows with id, placed_at, total, status; `categories_of`: order id -> categories of its lines;
    `campaigns`: rows with id, kind, rules, starts_at, ends_at."""
    orders = list(orders)
    history = daily_history(orders, tz=tz, until=until)
    order_categories = [categories_of.get(o["id"], set()) for o in orders if o["status"] != "cancelled"]
    rows = list(campaigns)
    scopes = {tuple(sorted(c["rules"].get("categories") or ())) for c in rows}
    shares = {s: scope_share(s, order_categories) for s in scopes}
    return ForecastInputs(history, past_campaigns(rows, tz=tz, shares=shares, until=until), order_categories)
