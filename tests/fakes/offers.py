"""Campaigns, customers and coupons in memory (`tools.marketing.campaigns.ports.CampaignStore`), at `NOW`.

Customers: C1 (gold, 4 orders; last order KF10000004 — ¥88 of coffee beans), C2 (regular, 1 order), C9 (regular,
no order: a new customer). Campaigns (all running at NOW unless said): `year_end` 满300减50 / 满600减120 except gift
cards; `winter` 10% off coffee beans; `welcome` coupon ¥20 off ¥199 for new customers (30 days); `year_coupon`
coupon ¥30 off ¥299 for everyone; `gold_day` coupon ¥50 off ¥500 for gold and platinum; `last_one` coupon ¥10
off ¥100 with budget for exactly one more; `gone` (ended yesterday), `soon` (starts in 3 days), `paused`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from tests.fakes.commerce import NOW
from tools.marketing.campaigns import Basket, ClaimOutcome, ClaimRequest, CustomerProfile, HeldCoupon, Line

PRICES = {  # product -> (category, price)
    "P0001": ("phone", Decimal("3999.00")),
    "P0002": ("phone_case", Decimal("59.00")),
    "P0003": ("coffee_beans", Decimal("88.00")),
    "P0005": ("phone_case", Decimal("204.00")),
    "G0001": ("gift_card", Decimal("200.00")),
}


def _campaign(cid: str, zh: str, en: str, rules: dict[str, Any], *, start: int = -5, end: int = 20,
              **extra: Any) -> dict[str, Any]:
    return {"id": cid, "name_zh": zh, "name_en": en, "kind": "promotion", "starts_at": NOW + timedelta(days=start),
            "ends_at": NOW + timedelta(days=end), "rules": rules, "budget": None, "spent": Decimal("0"),
            "per_customer_limit": None, "segments": [], "status": "active", **extra}


def demo_campaigns() -> list[dict[str, Any]]:
    return [
        _campaign("year_end", "年终满减", "Year-end sale", {"type": "threshold", "tiers": [
            {"min_spend": 300, "discount": 50}, {"min_spend": 600, "discount": 120}],
            "exclude_categories": ["gift_card"]}),
        _campaign("winter", "冬日咖啡节", "Winter coffee", {"type": "percent_off", "percent_off": 10,
                                                           "categories": ["coffee_beans"]}),
        _campaign("welcome", "新人专享券", "New customer coupon", {"type": "coupon", "discount": 20, "min_spend": 199,
                                                                 "valid_days": 30, "keywords": ["新人券", "welcome"]},
                  segments=["new_customer"], per_customer_limit=1, budget=Decimal("10000")),
        _campaign("year_coupon", "年终好券", "Year-end coupon", {"type": "coupon", "discount": 30, "min_spend": 299},
                  per_customer_limit=1, budget=Decimal("3000")),
        _campaign("gold_day", "金卡日券", "Gold day coupon", {"type": "coupon", "discount": 50, "min_spend": 500},
                  segments=["gold", "platinum"], per_customer_limit=1),
        _campaign("last_one", "限量券", "Limited coupon", {"type": "coupon", "discount": 10, "min_spend": 100},
                  budget=Decimal("100"), spent=Decimal("90"), per_customer_limit=1),
        _campaign("gone", "双十一券", "Double 11 coupon", {"type": "coupon", "discount": 30, "min_spend": 300},
                  start=-20, end=-1),
        _campaign("soon", "春季券", "Spring coupon", {"type": "coupon", "discount": 40, "min_spend": 400},
                  start=3, end=30),
        _campaign("paused", "暂停券", "Paused coupon", {"type": "coupon", "discount": 5, "min_spend": 50},
                  status="paused"),
    ]


class MemoryCampaigns:
    """The store's campaign side in memory; `claim` is atomic under a lock, like the SQL store's UPDATE."""

    def __init__(self, campaigns: list[dict[str, Any]] | None = None) -> None:
        self.rows = {c["id"]: dict(c) for c in (campaigns if campaigns is not None else demo_campaigns())}
        self.profiles = {"C1": CustomerProfile("C1", "gold", 4), "C2": CustomerProfile("C2", "regular", 1),
                         "C9": CustomerProfile("C9", "regular", 0)}
        self.last_orders = {"C1": Basket([Line("P0003", "coffee_beans", Decimal("88.00"))], order_id="KF10000004"),
                            "C2": Basket([Line("P0001", "phone", Decimal("3999.00"))], order_id="KF20000001")}
        self.issued: list[tuple[str, HeldCoupon]] = []  # (customer, coupon)
        self._lock = threading.Lock()
        self._n = 0

    def campaigns(self) -> list[dict[str, Any]]:
        return [dict(c) for c in self.rows.values() if c["status"] != "ended"]

    def campaign(self, campaign_id: str) -> dict[str, Any] | None:
        row = self.rows.get(campaign_id)
        return dict(row) if row else None

    def profile(self, customer_id: str) -> CustomerProfile | None:
        return self.profiles.get(customer_id)

    def coupons(self, customer_id: str) -> list[HeldCoupon]:
        return [c for who, c in self.issued if who == customer_id]

    def last_order(self, customer_id: str) -> Basket | None:
        return self.last_orders.get(customer_id)

    def priced(self, product_ids: Sequence[str]) -> list[Line]:
        return [Line(p, *PRICES[p]) for p in dict.fromkeys(product_ids) if p in PRICES]

    def category_names(self) -> dict[str, tuple[str, str]]:
        return {"coffee_beans": ("咖啡豆", "coffee beans"), "gift_card": ("礼品卡", "gift cards"),
                "phone_case": ("手机壳", "phone cases"), "phone": ("手机", "phones")}

    def claim(self, request: ClaimRequest) -> ClaimOutcome:
        with self._lock:
            for _, c in self.issued:
                if c.claim_key == request.claim_key:
                    return ClaimOutcome("existing", c)
            row = self.rows[request.campaign_id]
            if row["status"] != "active" or not row["starts_at"] <= request.now <= row["ends_at"]:
                return ClaimOutcome("closed")
            mine = [c for who, c in self.issued if who == request.customer_id and c.campaign_id == request.campaign_id]
            if len(mine) >= request.limit:
                return ClaimOutcome("limit", mine[-1])
            if any(who in request.linked and c.campaign_id == request.campaign_id for who, c in self.issued):
                return ClaimOutcome("linked")
            if row["budget"] is not None and row["spent"] + request.discount > row["budget"]:
                return ClaimOutcome("budget")
            row["spent"] += request.discount
            self._n += 1
            coupon = HeldCoupon(f"CPTEST{self._n:04d}", request.campaign_id, request.discount, request.min_spend,
                                request.expires_at, "issued", request.claim_key)
            self.issued.append((request.customer_id, coupon))
            return ClaimOutcome("issued", coupon)
