"""Demo order simulation: baskets with co-purchase structure, shipment timelines, returns.

Pure Python on seeded `random.Random` objects, so the same seed and reference time give the same
rows; `server.demo.build` writes them to the database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from server.demo.catalog import NON_RETURNABLE, ProductSpec
from server.demo.people import CARRIERS, HUBS, WAREHOUSES, Person

CENT = Decimal("0.01")
H = timedelta(hours=1)

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

EXCEPTIONS = (
    ("因恶劣天气影响，快件延误", "Delayed by severe weather"),
    ("收件地址不详，正在联系收件人", "Address incomplete; contacting the recipient"),
    ("快件外包装破损，正在处理", "Outer packaging damaged; being handled"),
    ("交通管制，快件延误", "Delayed by traffic control"),
)
NO_REASON_ZH = ("不想要了", "买错型号了", "颜色和预期不一样", "买多了", "家人已经买了")
NO_REASON_EN = (
    "Changed my mind",
    "Ordered the wrong model",
    "Colour not as expected",
    "Bought too many",
    "Received one as a gift",
)
QUALITY_ZH = ("屏幕有坏点", "无法充电", "收到时外壳有划痕", "蓝牙连接不稳定", "按键失灵")
QUALITY_EN = (
    "Dead pixels on the screen",
    "Does not charge",
    "Arrived scratched",
    "Bluetooth keeps disconnecting",
    "Button does not work",
)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class TrackPoint:
    at: datetime
    status: str
    location_zh: str
    location_en: str
    description_zh: str
    description_en: str


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
    discount: Decimal = Decimal("0")
    special: bool = False  # scripted showcase/scenario order: no coupons or random returns

    @property
    def subtotal(self) -> Decimal:
        return money(sum((ln.unit_price * ln.quantity for ln in self.lines), Decimal("0")))

    @property
    def total(self) -> Decimal:
        return money(self.subtotal - self.discount)


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


# --- shipments ----------------------------------------------------------------------------------------


def _uniform_h(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(hours=rng.uniform(low, high))


def plan_timeline(
    rng: random.Random, start: datetime, carrier: tuple[str, str], person: Person, *, trouble: str | None = None
) -> tuple[list[TrackPoint], datetime]:
    """Every tracking event of one parcel from label to the end (some may lie in the future).

    Returns the events and the planned delivery time (ETA) had nothing gone wrong.
    `trouble`: None, "exception" (delayed, then delivered) or "returned" (sent back to the shop).
    """
    c_zh, c_en = carrier
    wh_zh, wh_en = rng.choice(WAREHOUSES)
    station_zh = f"{person.city.zh}{person.district[0]}营业部"
    station_en = f"{person.district[1]} delivery station, {person.city.en}"
    t = start
    events = [
        TrackPoint(
            t,
            "label_created",
            wh_zh,
            wh_en,
            f"商家已打包出库，等待{c_zh}揽收",
            f"Packed at the warehouse; waiting for {c_en} to pick up",
        )
    ]
    t += _uniform_h(rng, 1, 6)
    events.append(TrackPoint(t, "picked_up", wh_zh, wh_en, f"{c_zh}已揽收", f"Picked up by {c_en}"))
    hubs = rng.sample(HUBS, rng.randint(1, 3))
    stops = [*hubs, (station_zh, station_en)]
    for k, (hub_zh, hub_en) in enumerate(stops):
        t += _uniform_h(rng, 5, 16)
        events.append(TrackPoint(t, "in_transit", hub_zh, hub_en, f"快件已到达【{hub_zh}】", f"Arrived at {hub_en}"))
        if k < len(stops) - 1:
            nxt_zh, nxt_en = stops[k + 1]
            t += _uniform_h(rng, 1, 4)
            events.append(
                TrackPoint(
                    t,
                    "in_transit",
                    hub_zh,
                    hub_en,
                    f"快件已从【{hub_zh}】发出，下一站【{nxt_zh}】",
                    f"Departed {hub_en} for {nxt_en}",
                )
            )
    t += _uniform_h(rng, 3, 12)
    ofd = TrackPoint(
        t,
        "out_for_delivery",
        station_zh,
        station_en,
        f"快件正在派送中，派送员：{rng.choice('王李张刘陈杨')}师傅，请保持电话畅通",
        "Out for delivery; the courier will call before arriving",
    )
    t += _uniform_h(rng, 0.5, 5)
    done_zh, done_en = rng.choice(
        (
            ("快件已签收，签收人：本人", "Delivered; signed for by the recipient"),
            ("快件已放入快递柜，请凭取件码取件", "Delivered to a parcel locker; use the pickup code"),
            ("快件已由前台代收", "Delivered; received at the front desk"),
        )
    )
    delivered = TrackPoint(
        t,
        "delivered",
        station_zh,
        station_en,
        f"{done_zh}。感谢使用{c_zh}",
        f"{done_en}. Thank you for choosing {c_en}",
    )
    eta = delivered.at
    tail = [ofd, delivered]
    if trouble:
        events, tail = _with_trouble(rng, events, tail, trouble)
    return events + tail, eta


def _with_trouble(
    rng: random.Random, events: list[TrackPoint], tail: list[TrackPoint], trouble: str
) -> tuple[list[TrackPoint], list[TrackPoint]]:
    cut = rng.randint(3, len(events))  # after at least one arrival at a hub
    before, after = events[:cut], events[cut:] + tail
    last = before[-1]
    why_zh, why_en = rng.choice(EXCEPTIONS)
    exc = TrackPoint(last.at + _uniform_h(rng, 2, 8), "exception", last.location_zh, last.location_en, why_zh, why_en)
    if trouble == "returned":
        back = TrackPoint(
            exc.at + _uniform_h(rng, 24, 72),
            "returned",
            last.location_zh,
            last.location_en,
            "多次联系收件人未果，快件已退回商家",
            "Recipient could not be reached; returned to the shop",
        )
        return [*before, exc], [back]
    delay = exc.at + _uniform_h(rng, 12, 48) - after[0].at
    return [*before, exc], [replace(e, at=e.at + delay) for e in after]


def pick_carrier(rng: random.Random) -> tuple[str, str, int]:
    label, prefix, digits, _share = rng.choices(CARRIERS, weights=[c[3] for c in CARRIERS])[0]
    return label, prefix, digits


def carrier_names(label: str) -> tuple[str, str]:
    zh, _, en = label.partition(" ")
    return zh, en


def shift(points: list[TrackPoint], delta: timedelta) -> list[TrackPoint]:
    return [replace(p, at=p.at + delta) for p in points]


# --- returns ------------------------------------------------------------------------------------------


def return_status(rng: random.Random, age: timedelta) -> str:
    days = age.total_seconds() / 86400
    if days < 1:
        return "requested"
    if rng.random() < 0.1:
        return "rejected"
    if days < 3:
        return "approved"
    if days < 7:
        return "received"
    return "refunded"


def draft_return(
    rng: random.Random, order: OrderDraft, delivered_at: datetime, now: datetime, language: str
) -> ReturnDraft | None:
    returnable = [i for i, ln in enumerate(order.lines) if ln.product.category not in NON_RETURNABLE]
    if returnable and rng.random() < 0.65:
        kind, window = "no_reason", 6.5
        chosen = sorted(rng.sample(returnable, 1 if rng.random() < 0.8 else len(returnable)))
        reasons = NO_REASON_ZH if language == "zh" else NO_REASON_EN
    else:
        kind, window = "quality", 14.0
        chosen = [rng.randrange(len(order.lines))]
        reasons = QUALITY_ZH if language == "zh" else QUALITY_EN
    created = delivered_at + timedelta(days=rng.uniform(0.2, window))
    if created > now:
        return None
    amount = money(sum((order.lines[i].unit_price * order.lines[i].quantity for i in chosen), Decimal("0")))
    return ReturnDraft(
        chosen, kind, return_status(rng, now - created), rng.choice(reasons), min(amount, order.total), created
    )
