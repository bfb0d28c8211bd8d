"""Demo campaign history: a year of past automatic campaigns (满X减Y at several depths and thresholds, percent off,
store-wide and category-scoped) and the order lift each one had, so the campaign forecast has a past to learn from.

The lift is planted where orders are placed (`order_lift` weights the day an order falls on), so a campaign's
days carry more orders than the trend, weekday and festivals alone give; checkout then applies the campaign to
the baskets that qualify (`server.demo.campaigns.apply_campaigns`), which lowers their totals. The lift grows
with the depth of the offer (discount over threshold, or percent off), shrinks with a high threshold and with a
narrow scope — the response the forecast must learn (`tools.marketing.forecast`). The windows avoid the
festivals (their own 满减 and factor) and the last `QUIET_DAYS` days (the live campaigns and offer history).

Deterministic for the random stream it is given; nothing here reads the orders.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

BEIJING = timezone(timedelta(hours=8))
QUIET_DAYS = 50  # no past campaign this recent (the live ones and the offer history's window)
YEAR = 365
COUNT = 14
# scope -> (categories, zh, en, share): the share of orders with something in scope, roughly (for the lift)
SCOPES: dict[str, tuple[tuple[str, ...], str, str, float]] = {
    "all": ((), "全场", "Store-wide", 1.0),
    "phone": (("phone", "phone_case", "screen_protector", "charger", "power_bank"), "手机配件", "Phone & accessories",
              0.45),
    "computer": (("laptop", "mouse", "keyboard", "laptop_bag"), "电脑外设", "Laptops & peripherals", 0.25),
    "coffee": (("coffee_machine", "coffee_beans"), "咖啡", "Coffee", 0.15),
    "audio": (("earphones", "smartwatch", "watch_strap"), "耳机手表", "Audio & watches", 0.25),
}
# (type, threshold or None, discount yuan or percent, scope): the offers tried over the year, shuffled into windows
OFFERS: tuple[tuple[str, int | None, int, str], ...] = (
    ("threshold", 300, 30, "all"),
    ("threshold", 300, 60, "all"),
    ("threshold", 200, 20, "all"),
    ("threshold", 500, 50, "all"),
    ("threshold", 500, 100, "all"),
    ("threshold", 1000, 100, "all"),
    ("threshold", 1000, 200, "all"),
    ("threshold", 200, 40, "phone"),
    ("threshold", 400, 60, "computer"),
    ("percent_off", None, 10, "all"),
    ("percent_off", None, 15, "all"),
    ("percent_off", None, 20, "coffee"),
    ("percent_off", None, 10, "audio"),
    ("threshold", 800, 120, "all"),
)


def _festival(day: date) -> bool:
    return (day.month == 11 and day.day <= 11) or (day.month == 6 and day.day <= 18)


def offer_lift(kind: str, threshold: float | None, discount: float, scope_share: float) -> float:
    """The planted relative order lift of an offer: deeper is stronger, a high threshold reaches fewer baskets,
    a narrow scope moves fewer orders. 满300减50 store-wide: about +41%; 9折 store-wide: +28%."""
    if kind == "percent_off":
        depth = discount / 100
    else:
        assert threshold
        depth = discount / threshold * math.exp(-threshold / 2000)
    return 2.8 * depth * scope_share**0.8


def past_campaigns(rng: random.Random, now: datetime) -> list[dict[str, Any]]:
    """The past campaigns as `campaigns` rows (status ended), oldest first, over the year before `now`."""
    offers = list(OFFERS)
    rng.shuffle(offers)
    today = now.astimezone(BEIJING).date()
    starts = []
    cursor = today - timedelta(days=YEAR - 5)
    slot = (YEAR - QUIET_DAYS - 10) // COUNT
    for n in range(COUNT):
        first = cursor + timedelta(days=n * slot + rng.randrange(0, max(1, slot - 12)))
        length = rng.randrange(3, 9)
        days = [first + timedelta(days=k) for k in range(length)]
        if any(_festival(d) for d in days):
            continue  # the festival has its own 满减
        if days[-1] > today - timedelta(days=QUIET_DAYS):
            break
        starts.append((first, length))
    rows = []
    for (first, length), (kind, threshold, discount, scope) in zip(starts, offers, strict=False):
        categories, scope_zh, scope_en, _share = SCOPES[scope]
        rules: dict[str, Any]
        if kind == "threshold":
            rules = {"type": "threshold", "tiers": [{"min_spend": threshold, "discount": discount}],
                     "exclude_categories": ["gift_card"]}
            zh, en = f"{scope_zh}满{threshold}减{discount}", f"{scope_en}: spend {threshold}, save {discount}"
        else:
            rules = {"type": "percent_off", "percent_off": discount}
            zh, en = f"{scope_zh}{(100 - discount) / 10:g}折", f"{scope_en}: {discount}% off"
            if scope == "all":
                rules["exclude_categories"] = ["gift_card"]
        if categories:
            rules["categories"] = list(categories)
        start = datetime.combine(first, time(0), BEIJING).astimezone(UTC)
        end = datetime.combine(first + timedelta(days=length - 1), time(23, 59, 59), BEIJING).astimezone(UTC)
        rows.append({
            "id": f"past{first:%y%m%d}", "name_zh": f"{first.month}月{zh}", "name_en": f"{first:%b} {en}",
            "kind": "flash", "starts_at": start, "ends_at": end, "rules": rules, "active": False,
            "status": "ended", "budget": None, "spent": Decimal(0), "per_customer_limit": None, "segments": [],
        })
    return rows


def scope_share(rules: dict[str, Any]) -> float:
    """The planted share of orders a campaign's scope reaches (1 for store-wide)."""
    wanted = set(rules.get("categories") or ())
    if not wanted:
        return 1.0
    return next((s[3] for s in SCOPES.values() if set(s[0]) == wanted), 0.2)


def planted(campaign: dict[str, Any]) -> bool:
    """A campaign whose lift is planted: automatic (满减, percent off), in a window, not a festival (those have their
    own factor) nor a day-of-month offer for members."""
    rules = campaign["rules"]
    return rules["type"] in ("threshold", "percent_off") and not rules.get("day_of_month") \
        and campaign["kind"] != "festival"


def order_lift(campaigns: list[dict[str, Any]]) -> dict[date, float]:
    """Beijing day -> the order-rate factor of the campaign running that day (1 when none)."""
    lift: dict[date, float] = {}
    for c in filter(planted, campaigns):
        rules = c["rules"]
        tiers = rules.get("tiers") or []
        threshold = float(tiers[0]["min_spend"]) if tiers else None
        discount = float(tiers[0]["discount"]) if tiers else float(rules["percent_off"])
        factor = 1 + offer_lift(rules["type"], threshold, discount, scope_share(rules))
        day = c["starts_at"].astimezone(BEIJING).date()
        while day <= c["ends_at"].astimezone(BEIJING).date():
            lift[day] = factor
            day += timedelta(days=1)
    return lift
