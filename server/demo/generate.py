"""Generate every demo-store row (pure Python, deterministic for a seed and reference time).

Dates are all relative to `as_of` (the reference instant is as_of 00:00 UTC), so a store built
today and one built next month tell the same story: the showcase customers always have an order
delivered 2 days ago, one in transit since yesterday and one delivered 30 days ago.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from server.demo import identities
from server.demo.behaviour import behaviour_rows
from server.demo.campaign_history import order_lift, past_campaigns
from server.demo.campaigns import (
    BEIJING,
    account_spent,
    apply_campaigns,
    campaigns,
    creation_audit,
    issue_coupons,
    issue_records,
)
from server.demo.catalog import ProductSpec, build_catalog
from server.demo.history import offer_history
from server.demo.orders import (
    BasketMaker,
    LineDraft,
    OrderDraft,
    Owned,
    ReturnDraft,
    ShipmentDraft,
    money,
    quantity_for,
)
from server.demo.people import Person, make_person, tracking_number
from server.demo.rows import membership_tiers, table_rows
from server.demo.shipping import carrier_names, draft_return, pick_carrier, plan_timeline, shift
from server.demo.tuning import plan, threshold_history

_H = timedelta(hours=1)
SHOWCASE_COUNT = 20
# Scenario customers (right after the showcase ones) each get one order in a telling state.
SCENARIOS = (
    "exception",
    "returned",
    "out_for_delivery",
    "label_created",
    "picked_up",
    "pending_payment",
    "paid",
    "return_requested",
)
QUIET_DAYS = 45  # showcase and scenario customers have no other orders this recent
HISTORY_PER_SHOWCASE = 2
RETURN_RATE = 0.055
LOCAL_HOUR_WEIGHTS = (1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.6, 1, 2, 3, 4, 4, 3.5, 3, 3, 3, 3, 3, 3.5, 4, 5, 5, 4, 2)
STATUS_OF_SHIPMENT = {
    "label_created": "paid",
    "picked_up": "shipped",
    "in_transit": "shipped",
    "out_for_delivery": "shipped",
    "exception": "shipped",
    "delivered": "delivered",
    "returned": "cancelled",
}


def reference_now(as_of: date) -> datetime:
    """The instant the demo data is 'as of': midnight UTC at the start of `as_of`."""
    return datetime.combine(as_of, time(0), UTC)


MIN_CUSTOMERS = SHOWCASE_COUNT


def scenario_count(customers: int) -> int:
    """Scenario customers follow the showcase ones, as many as there are customers for."""
    return max(0, min(len(SCENARIOS), customers - SHOWCASE_COUNT))


def min_orders(customers: int) -> int:
    return SHOWCASE_COUNT * 3 + scenario_count(customers)


@dataclass(slots=True)
class Ctx:
    seed: int
    now: datetime
    products: list[tuple[str, ProductSpec]]
    people: list[tuple[str, Person]]
    baskets: BasketMaker
    owned: dict[str, Owned] = field(default_factory=dict)

    def rng(self, stream: str) -> random.Random:
        return random.Random(f"kefu-demo:{self.seed}:{stream}")

    def person(self, customer_id: str) -> Person:
        return self.people[int(customer_id[1:]) - 1][1]


def generate(*, seed: int, as_of: date, customers: int, orders: int) -> dict[str, list[dict[str, Any]]]:
    """All rows, keyed by table name, in insertion order."""
    if customers < MIN_CUSTOMERS:
        raise ValueError(f"the demo store needs at least {MIN_CUSTOMERS} customers (got {customers})")
    if orders < min_orders(customers):
        raise ValueError(f"{customers} demo customers need at least {min_orders(customers)} orders (got {orders})")
    now = reference_now(as_of)
    products = [(f"P{i:04d}", spec) for i, spec in enumerate(build_catalog(), start=1)]
    base = random.Random(f"kefu-demo:{seed}:base")
    people = _people(random.Random(f"kefu-demo:{seed}:people"), customers)
    ctx = Ctx(seed, now, products, people, BasketMaker(products, base))
    past = past_campaigns(ctx.rng("past_campaigns"), now)  # their lift is planted in the order days
    drafts = _random_orders(ctx, orders - min_orders(customers), order_lift(past + campaigns(now)))
    drafts += _showcase_orders(ctx) + _scenario_orders(ctx)
    drafts.sort(key=lambda o: (o.placed_at, o.customer_id))
    offers = campaigns(now) + past
    tuning, experiments = plan(offers)  # an experiment and a dynamic threshold, with history
    tiers = membership_tiers(people, drafts)
    apply_campaigns(drafts, offers, tiers, tuning.level)
    coupons = issue_coupons(ctx.rng("coupons"), people, now, drafts, offers, showcase=SHOWCASE_COUNT)
    history = offer_history(ctx.rng("history"), now, people, drafts, offers, coupons, tiers, _is_reserved, tuning)
    coupons += history.coupons
    account_spent(offers, coupons, drafts)
    _returns(ctx, drafts)
    issues = issue_records(coupons, offers, now)
    created = creation_audit(offers, now)  # (the rules as the campaigns started)
    moves = threshold_history(tuning, offers, history.events, history.conversations, drafts)
    rows = table_rows(ctx, drafts, offers, coupons)
    rows["coupon_issues"] = issues
    rows["campaign_changes"] = sorted(created + moves, key=lambda r: (r["at"], r["campaign_id"]))
    rows["conversations"], rows["dialogue_events"] = history.conversations, history.events
    rows["experiments"], rows["experiment_assignments"] = experiments, tuning.experiments.rows
    rows["account_identifiers"] = identities.plan(seed, rows, now).rows  # devices, phones, ...; some shared
    rows |= behaviour_rows(ctx.rng("behaviour"), now, people, list(zip(drafts, rows["orders"], strict=True)),
                           {c: [ctx.products[i][0] for i in ix] for c, ix in ctx.baskets.by_category.items()})
    return rows


# --- people -------------------------------------------------------------------------------------------


def _people(rng: random.Random, count: int) -> list[tuple[str, Person]]:
    people = []
    for i in range(1, count + 1):
        showcase_language = "zh" if i % 2 == 1 else "en"  # C00001 zh, C00002 en, ...
        language = showcase_language if i <= SHOWCASE_COUNT else ("zh" if rng.random() < 0.6 else "en")
        people.append((f"C{i:05d}", make_person(rng, language)))
    return people


def _is_reserved(customer_id: str) -> bool:
    """Showcase and scenario customers: their scripted orders must stay their newest."""
    return int(customer_id[1:]) <= SHOWCASE_COUNT + len(SCENARIOS)


# --- random history -----------------------------------------------------------------------------------


def _festival(day: date) -> bool:
    return (day.month == 11 and day.day <= 11) or (day.month == 6 and day.day <= 18)


def _placed_times(rng: random.Random, now: datetime, count: int, lift: dict[date, float]) -> list[datetime]:
    days = list(range(365))
    weights = []
    for k in days:
        day = now.date() - timedelta(days=k + 1)
        w = (1 + 0.3 * (365 - k) / 365) * (2.5 if _festival(day) else 1) * (1.15 if day.weekday() >= 5 else 1)
        w *= lift.get(day, 1.0)
        weights.append(w)
    times = []
    for k in rng.choices(days, weights=weights, k=count):
        day = now.date() - timedelta(days=k + 1)
        hour = rng.choices(range(24), weights=LOCAL_HOUR_WEIGHTS)[0]
        local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), BEIJING)
        times.append(local.astimezone(UTC))
    return times


def _random_orders(ctx: Ctx, count: int, lift: dict[date, float]) -> list[OrderDraft]:
    rng = ctx.rng("orders")
    ids = [cid for cid, _ in ctx.people]
    activity = [rng.paretovariate(1.6) for _ in ids]
    plans: list[tuple[datetime, str]] = []
    history = min(HISTORY_PER_SHOWCASE, count // SHOWCASE_COUNT)
    for cid in ids[:SHOWCASE_COUNT]:
        for _ in range(history):
            plans.append((ctx.now - timedelta(days=rng.uniform(QUIET_DAYS + 5, 360)), cid))
    quiet_from = ctx.now - timedelta(days=QUIET_DAYS)
    for placed in _placed_times(rng, ctx.now, count - len(plans), lift):
        cid = rng.choices(ids, weights=activity)[0]
        for _ in range(5):
            if not (_is_reserved(cid) and placed >= quiet_from):
                break
            cid = rng.choices(ids, weights=activity)[0]
        if _is_reserved(cid) and placed >= quiet_from:
            placed -= timedelta(days=QUIET_DAYS)  # tiny stores: keep the scripted orders the newest
        plans.append((placed, cid))
    plans.sort()
    return [_simulate(ctx, rng, placed, cid) for placed, cid in plans]


def _lines(
    ctx: Ctx,
    rng: random.Random,
    customer_id: str,
    placed: datetime,
    main: str | None = None,
    extra: tuple[str, ...] = (),
) -> list[LineDraft]:
    owned = ctx.owned.setdefault(customer_id, Owned())
    items = ctx.baskets.basket(rng, owned, main)
    for category in extra:
        pick = ctx.baskets.pick(rng, category, ctx.baskets.fit(category, owned))
        if pick is not None and pick not in items:
            items.append(pick)
    factor = Decimal("0.90") if _festival(placed.astimezone(BEIJING).date()) else Decimal("1")
    lines = []
    for i in items:
        pid, spec = ctx.products[i]
        price = spec.price if spec.category == "gift_card" else money(spec.price * factor)
        lines.append(LineDraft(spec, pid, quantity_for(rng, spec), price))
    return lines


def _simulate(ctx: Ctx, rng: random.Random, placed: datetime, cid: str) -> OrderDraft:
    order = OrderDraft(cid, placed, _lines(ctx, rng, cid, placed))
    roll = rng.random()
    if roll < 0.03:
        order.status = "pending_payment" if ctx.now - placed < timedelta(hours=24) else "cancelled"
        return order
    order.paid_at = placed + timedelta(minutes=rng.uniform(1, 40))
    if roll < 0.055:
        order.status = "cancelled"
        return order
    label_at = order.paid_at + timedelta(hours=rng.uniform(1.5, 20))
    if label_at > ctx.now:
        return order  # paid, waiting for the warehouse
    trouble_roll = rng.random()
    trouble = "exception" if trouble_roll < 0.025 else "returned" if trouble_roll < 0.035 else None
    _ship(ctx, rng, order, label_at, trouble=trouble)
    return order


def _ship(
    ctx: Ctx,
    rng: random.Random,
    order: OrderDraft,
    label_at: datetime,
    *,
    trouble: str | None = None,
    anchor: tuple[str, datetime] | None = None,
) -> None:
    """Attach a shipment; `anchor=(status, at)` moves the whole story so that event happens at `at`
    and cuts it there (used for the scripted showcase and scenario orders)."""
    label, prefix, digits = pick_carrier(rng)
    events, eta = plan_timeline(rng, label_at, carrier_names(label), ctx.person(order.customer_id), trouble=trouble)
    if anchor:
        status, at = anchor
        idx = next(i for i, e in enumerate(events) if e.status == status)
        delta = at - events[idx].at
        events, eta = shift(events[: idx + 1], delta), eta + delta
        order.placed_at += delta
        order.paid_at = order.paid_at + delta if order.paid_at else None
        if status not in ("delivered", "exception", "returned") and eta <= ctx.now:
            eta = ctx.now + timedelta(hours=rng.uniform(20, 40))
    visible = [e for e in events if e.at <= ctx.now]
    order.shipment = ShipmentDraft(label, tracking_number(rng, prefix, digits), visible, eta)
    order.status = STATUS_OF_SHIPMENT[order.shipment.status]


# --- scripted orders ----------------------------------------------------------------------------------

SHOWCASE_RECENT = (
    ("phone", ()),
    ("phone_case", ("screen_protector",)),
    ("earphones", ("phone_case",)),
    ("power_bank", ("phone_case",)),
)
SHOWCASE_TRANSIT = ("laptop", "camera", "smartwatch", "coffee_machine", "tablet", "earphones", "electric_toothbrush")
SHOWCASE_OLD = ("coffee_beans", "keyboard", "electric_toothbrush", "mouse", "charger", "phone")


def _scripted(ctx: Ctx, rng: random.Random, cid: str, main: str, extra: tuple[str, ...] = ()) -> OrderDraft:
    placed = ctx.now - timedelta(days=3)
    lines = _lines(ctx, rng, cid, placed, main, extra)
    return OrderDraft(cid, placed, lines, paid_at=placed + timedelta(minutes=5), special=True)


def _showcase_orders(ctx: Ctx) -> list[OrderDraft]:
    rng = ctx.rng("showcase")
    out = []
    for n, (cid, _person) in enumerate(ctx.people[:SHOWCASE_COUNT]):
        # (c) delivered 30 days ago: outside the 7-day no-reason return window.
        old = _scripted(ctx, rng, cid, SHOWCASE_OLD[n % len(SHOWCASE_OLD)])
        _ship(ctx, rng, old, old.placed_at + 3 * _H, anchor=("delivered", _day_time(ctx, rng, 30)))
        # (a) delivered 2 days ago with a returnable item (a phone case in most baskets).
        main, extra = SHOWCASE_RECENT[n % len(SHOWCASE_RECENT)]
        recent = _scripted(ctx, rng, cid, main, extra)
        if not any(ln.product.category == "phone_case" for ln in recent.lines):
            recent.lines += _lines(ctx, rng, cid, recent.placed_at, "phone_case")[:1]
        _ship(ctx, rng, recent, recent.placed_at + 3 * _H, anchor=("delivered", _day_time(ctx, rng, 2)))
        # (b) picked up yesterday, now in transit: label, pickup, arrival at a sorting centre.
        moving = _scripted(ctx, rng, cid, SHOWCASE_TRANSIT[n % len(SHOWCASE_TRANSIT)])
        arrival = ctx.now - timedelta(hours=rng.uniform(2, 5))
        _ship(ctx, rng, moving, moving.placed_at + 3 * _H, anchor=("in_transit", arrival))
        out += [old, recent, moving]
    return out


def _day_time(ctx: Ctx, rng: random.Random, days_ago: int) -> datetime:
    """Some time between 10:00 and 19:00 Beijing time, `days_ago` days before as_of (same UTC date)."""
    return ctx.now - timedelta(days=days_ago) + timedelta(hours=rng.uniform(2, 11))


def _scenario_orders(ctx: Ctx) -> list[OrderDraft]:
    rng = ctx.rng("scenarios")
    out = []
    first = SHOWCASE_COUNT
    count = scenario_count(len(ctx.people))
    for (cid, _person), scenario in zip(ctx.people[first : first + count], SCENARIOS[:count], strict=True):
        order = _scripted(ctx, rng, cid, rng.choice(("phone", "earphones", "laptop", "smartwatch", "camera")))
        now = ctx.now
        if scenario == "pending_payment":
            order.placed_at, order.paid_at, order.status = now - 3 * _H, None, "pending_payment"
        elif scenario == "paid":
            order.placed_at, order.paid_at, order.status = now - 2 * _H, now - 2 * _H + timedelta(minutes=4), "paid"
        elif scenario == "exception":
            _ship(ctx, rng, order, order.placed_at + 3 * _H, trouble="exception", anchor=("exception", now - 10 * _H))
        elif scenario == "returned":
            _ship(ctx, rng, order, order.placed_at + 3 * _H, trouble="returned", anchor=("returned", now - 72 * _H))
        elif scenario == "return_requested":
            _ship(ctx, rng, order, order.placed_at + 3 * _H, anchor=("delivered", now - 96 * _H))
            returnable = [i for i, ln in enumerate(order.lines) if ln.product.category != "gift_card"]
            amount = money(order.lines[returnable[0]].unit_price * order.lines[returnable[0]].quantity)
            reason = "不想要了" if ctx.person(cid).language == "zh" else "Changed my mind"
            order.returns.append(ReturnDraft(returnable[:1], "no_reason", "requested", reason, amount, now - 20 * _H))
        else:
            anchors = {"out_for_delivery": 2, "label_created": 3, "picked_up": 5}
            _ship(ctx, rng, order, order.placed_at + 3 * _H, anchor=(scenario, now - anchors[scenario] * _H))
        out.append(order)
    return out


# --- returns ---------------------------------------------------------------------------------------


def _returns(ctx: Ctx, drafts: list[OrderDraft]) -> None:
    rng = ctx.rng("returns")
    for o in drafts:
        if o.status != "delivered" or o.special or rng.random() >= RETURN_RATE:
            continue
        delivered_at = o.shipment.first_at("delivered") if o.shipment else None
        if delivered_at:
            ret = draft_return(rng, o, delivered_at, ctx.now, ctx.person(o.customer_id).language)
            if ret:
                o.returns.append(ret)
