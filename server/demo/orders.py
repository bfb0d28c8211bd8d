"""Demo order simulation: order drafts and baskets with co-purchase structure (`shipping` adds parcels
and returns).

Pure Python on seeded `random.Random` objects, so the same seed and reference time give the same
rows; `server.demo.build` writes them to the database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from server.demo.catalog import ProductSpec
from tools.commerce.ports import TrackingEventView

CENT = Decimal("0.01")

# How often a main item's category starts a basket (accessories also sell on their own).
MAIN_WEIGHTS: dict[str, float] = {
    "phone": 14,
    "phone_case": 9,
    "screen_protector": 6,
    "charger": 8,
    "power_bank": 5,
    "earphones": 9,
    "laptop": 5,
    "mouse": 5,
    "keyboard": 4,
    "laptop_bag": 2,
    "camera": 3,
    "memory_card": 3,
    "tripod": 1,
    "tablet": 4,
    "smartwatch": 5,
    "watch_strap": 2,
    "coffee_machine": 2,
    "coffee_beans": 5,
    "electric_toothbrush": 3,
    "toothbrush_heads": 3,
    "gift_card": 1,
}
# main category -> [(complement category, probability)]
COMPLEMENTS: dict[str, tuple[tuple[str, float], ...]] = {
    "phone": (
        ("phone_case", 0.6),
        ("screen_protector", 0.5),
        ("charger", 0.3),
        ("power_bank", 0.08),
        ("earphones", 0.08),
    ),
    "camera": (("memory_card", 0.65), ("tripod", 0.35)),
    "laptop": (("mouse", 0.45), ("laptop_bag", 0.35), ("keyboard", 0.1)),
    "tablet": (("keyboard", 0.2), ("charger", 0.15)),
    "coffee_machine": (("coffee_beans", 0.75),),
    "electric_toothbrush": (("toothbrush_heads", 0.6),),
    "smartwatch": (("watch_strap", 0.5),),
}
CONSUMABLES = ("coffee_beans", "toothbrush_heads", "memory_card", "gift_card")
NOISE_PROBABILITY = 0.12


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


TrackPoint = TrackingEventView  # one tracking event of a parcel, the type the order tools read


@dataclass(slots=True)
class ShipmentDraft:
    carrier: str
    tracking_no: str
    events: list[TrackPoint]  # visible events only (at <= now), oldest first
    eta: datetime | None

    @property
    def status(self) -> str:
        return self.events[-1].status

    def first_at(self, status: str) -> datetime | None:
        return next((e.at for e in self.events if e.status == status), None)


@dataclass(slots=True)
class LineDraft:
    product: ProductSpec
    product_id: str
    quantity: int
    unit_price: Decimal


@dataclass(slots=True)
class ReturnDraft:
    line_indexes: list[int]
    kind: str
    status: str
    reason: str
    refund_amount: Decimal
    created_at: datetime


@dataclass(slots=True)
class OrderDraft:
    customer_id: str
    placed_at: datetime
    lines: list[LineDraft]
    status: str = "paid"
    paid_at: datetime | None = None
    shipment: ShipmentDraft | None = None
    returns: list[ReturnDraft] = field(default_factory=list)
    discount: Decimal = Decimal("0")  # a coupon's
    special: bool = False  # scripted showcase/scenario order: no coupons or random returns
    campaign_id: str | None = None  # the automatic campaign checkout applied (满减, percent off)
    campaign_discount: Decimal = Decimal("0")

    @property
    def subtotal(self) -> Decimal:
        return money(sum((ln.unit_price * ln.quantity for ln in self.lines), Decimal("0")))

    @property
    def total(self) -> Decimal:
        return money(self.subtotal - self.campaign_discount - self.discount)


# --- baskets ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Owned:
    """What a customer already bought, so later accessory orders fit their devices."""

    phone: ProductSpec | None = None
    watch_fit: str | None = None
    head_system: str | None = None
    coffee: ProductSpec | None = None
    card_type: str | None = None


class BasketMaker:
    """Draws realistic baskets: a main item, its compatible complements, some noise."""

    def __init__(self, products: list[tuple[str, ProductSpec]], rng: random.Random) -> None:
        self.products = products
        self.by_category: dict[str, list[int]] = {}
        for i, (_pid, spec) in enumerate(products):
            self.by_category.setdefault(spec.category, []).append(i)
        # Skewed per-product appeal: a few best-sellers per category, a long tail.
        self.appeal = [rng.lognormvariate(0, 0.9) for _ in products]
        self.main_categories = [c for c in MAIN_WEIGHTS if c in self.by_category]
        self.main_weights = [MAIN_WEIGHTS[c] for c in self.main_categories]

    def pick(self, rng: random.Random, category: str, accept: Any = None) -> int | None:
        candidates = self.by_category.get(category, [])
        if accept is not None:
            candidates = [i for i in candidates if accept(self.products[i][1])]
        if not candidates:
            return None
        return rng.choices(candidates, weights=[self.appeal[i] for i in candidates])[0]

    def basket(self, rng: random.Random, owned: Owned, main: str | None = None) -> list[int]:
        """Product indexes for one order (main item first)."""
        main = main or self._main_category(rng, owned)
        first = self.pick(rng, main, self.fit(main, owned))
        if first is None:
            first = self.pick(rng, main)
        assert first is not None
        items = [first]
        spec = self.products[first][1]
        for category, probability in COMPLEMENTS.get(main, ()):
            if rng.random() < probability:
                extra = self.pick(rng, category, complement_filter(spec, category))
                if extra is not None:
                    items.append(extra)
        if rng.random() < NOISE_PROBABILITY:
            items.append(rng.randrange(len(self.products)))
        self._remember(owned, items)
        return list(dict.fromkeys(items))

    def _main_category(self, rng: random.Random, owned: Owned) -> str:
        # Owners come back for consumables and accessories.
        if owned.coffee and rng.random() < 0.25:
            return "coffee_beans"
        if owned.head_system and rng.random() < 0.2:
            return "toothbrush_heads"
        return rng.choices(self.main_categories, weights=self.main_weights)[0]

    @staticmethod
    def fit(category: str, owned: Owned) -> Any:
        if category in ("phone_case", "screen_protector") and owned.phone:
            return complement_filter(owned.phone, category)
        if category == "watch_strap" and owned.watch_fit:
            return lambda p: p.attributes.get("strap_fit") == owned.watch_fit
        if category == "toothbrush_heads" and owned.head_system:
            return lambda p: p.attributes.get("head_system") == owned.head_system
        if category == "coffee_beans" and owned.coffee:
            return complement_filter(owned.coffee, category)
        if category == "memory_card" and owned.card_type:
            return lambda p: p.attributes.get("card_type") == owned.card_type
        return None

    def _remember(self, owned: Owned, items: list[int]) -> None:
        for i in items:
            p = self.products[i][1]
            if p.category == "phone":
                owned.phone = p
            elif p.category == "smartwatch":
                owned.watch_fit = p.attributes.get("strap_fit")
            elif p.category == "electric_toothbrush":
                owned.head_system = p.attributes.get("head_system")
            elif p.category == "coffee_machine" and p.attributes.get("type") != "grinder":
                owned.coffee = p
            elif p.category == "camera":
                owned.card_type = p.attributes.get("card_type")


def complement_filter(main: ProductSpec, category: str) -> Any:
    """Which products of `category` fit `main` (None: any)."""
    a = main.attributes
    if category in ("phone_case", "screen_protector") and main.category == "phone":
        return lambda p: a.get("model") in p.attributes.get("compatible_with", [])
    if category == "charger":
        return lambda p: bool({main.brand, "universal"} & set(p.attributes.get("compatible_with", [])))
    if category == "memory_card" and "card_type" in a:
        return lambda p: p.attributes.get("card_type") == a["card_type"]
    if category == "tripod" and main.category == "camera":
        want = "camera" if a.get("type") in ("mirrorless", "compact") else "compact"
        return lambda p: p.attributes.get("type") == want
    if category == "laptop_bag" and "screen_inch" in a:
        return lambda p: p.attributes.get("fits_inch", 0) >= a["screen_inch"]
    if category == "coffee_beans" and main.category == "coffee_machine":
        system = a.get("capsule_system")
        if system:
            return lambda p: p.attributes.get("capsule_system") == system
        return lambda p: p.attributes.get("form") == "beans"
    if category == "toothbrush_heads" and "head_system" in a:
        return lambda p: p.attributes.get("head_system") == a["head_system"]
    if category == "watch_strap" and "strap_fit" in a:
        return lambda p: p.attributes.get("strap_fit") == a["strap_fit"]
    return None


def quantity_for(rng: random.Random, spec: ProductSpec) -> int:
    if spec.category in CONSUMABLES:
        return rng.choices((1, 2, 3), weights=(6, 3, 1))[0]
    return 1 if rng.random() < 0.97 else 2
