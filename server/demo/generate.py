"""Generate every demo-store row (pure Python, deterministic for a seed and reference time).

Dates are all relative to `as_of` (the reference instant is as_of 00:00 UTC), so a store built
today and one built next month tell the same story: the showcase customers always have an order
delivered 2 days ago, one in transit since yesterday and one delivered 30 days ago.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from server.demo.catalog import CATEGORIES, ProductSpec, build_catalog
from server.demo.orders import (
    BasketMaker,
    LineDraft,
    OrderDraft,
    Owned,
    ReturnDraft,
    ShipmentDraft,
    TrackPoint,
    carrier_names,
    draft_return,
    money,
    pick_carrier,
    plan_timeline,
    quantity_for,
    shift,
)
from server.demo.people import Person, make_person, tracking_number

BEIJING = timezone(timedelta(hours=8))
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
    drafts = _random_orders(ctx, orders - min_orders(customers))
    drafts += _showcase_orders(ctx) + _scenario_orders(ctx)
    drafts.sort(key=lambda o: (o.placed_at, o.customer_id))
    campaigns = _campaigns(now)
    coupons = _coupons(ctx, drafts, campaigns)
    _returns(ctx, drafts)
    return _rows(ctx, drafts, campaigns, coupons)


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


def _placed_times(rng: random.Random, now: datetime, count: int) -> list[datetime]:
    days = list(range(365))
    weights = []
    for k in days:
        day = now.date() - timedelta(days=k + 1)
        w = (1 + 0.3 * (365 - k) / 365) * (2.5 if _festival(day) else 1) * (1.15 if day.weekday() >= 5 else 1)
        weights.append(w)
    times = []
    for k in rng.choices(days, weights=weights, k=count):
        day = now.date() - timedelta(days=k + 1)
        hour = rng.choices(range(24), weights=LOCAL_HOUR_WEIGHTS)[0]
        local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), BEIJING)
        times.append(local.astimezone(UTC))
    return times


def _random_orders(ctx: Ctx, count: int) -> list[OrderDraft]:
    rng = ctx.rng("orders")
    ids = [cid for cid, _ in ctx.people]
    activity = [rng.paretovariate(1.6) for _ in ids]
    plans: list[tuple[datetime, str]] = []
    history = min(HISTORY_PER_SHOWCASE, count // SHOWCASE_COUNT)
    for cid in ids[:SHOWCASE_COUNT]:
        for _ in range(history):
            plans.append((ctx.now - timedelta(days=rng.uniform(QUIET_DAYS + 5, 360)), cid))
    quiet_from = ctx.now - timedelta(days=QUIET_DAYS)
    for placed in _placed_times(rng, ctx.now, count - len(plans)):
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


# --- marketing and returns ----------------------------------------------------------------------------


def _window(now: datetime, month: int, first: int, last: int) -> tuple[datetime, datetime]:
    """The most recent festival window (Beijing dates) that has started by `now`."""
    year = now.year
    start = datetime(year, month, first, tzinfo=BEIJING)
    if start > now:
        year -= 1
        start = datetime(year, month, first, tzinfo=BEIJING)
    end = datetime(year, month, last, 23, 59, 59, tzinfo=BEIJING)
    return start.astimezone(UTC), end.astimezone(UTC)


def _campaigns(now: datetime) -> list[dict[str, Any]]:
    d11, d618 = _window(now, 11, 1, 11), _window(now, 6, 1, 18)
    year_ago, year_ahead = now - timedelta(days=365), now + timedelta(days=365)
    spec = [
        (
            "double11",
            "双十一狂欢节",
            "Singles' Day Sale",
            "festival",
            *d11,
            {
                "type": "threshold",
                "tiers": [{"min_spend": 300, "discount": 30}, {"min_spend": 1000, "discount": 120}],
                "exclude_categories": ["gift_card"],
            },
        ),
        (
            "mid618",
            "618年中大促",
            "618 Mid-year Sale",
            "festival",
            *d618,
            {
                "type": "threshold",
                "tiers": [{"min_spend": 200, "discount": 20}, {"min_spend": 800, "discount": 90}],
                "exclude_categories": ["gift_card"],
            },
        ),
        (
            "new_customer",
            "新人专享券",
            "New customer coupon",
            "new_customer",
            year_ago,
            year_ahead,
            {"type": "coupon", "discount": 20, "min_spend": 99},
        ),
        (
            "member_day",
            "会员日",
            "Member day",
            "member_day",
            year_ago,
            year_ahead,
            {"type": "percent_off", "day_of_month": 18, "tiers": ["gold", "platinum"], "percent_off": 5},
        ),
        (
            "winter_refresh",
            "冬季焕新季",
            "Winter refresh",
            "seasonal",
            now - timedelta(days=7),
            now + timedelta(days=21),
            {
                "type": "percent_off",
                "categories": ["coffee_machine", "coffee_beans", "electric_toothbrush"],
                "percent_off": 10,
            },
        ),
        (
            "spring_tech",
            "春季数码节",
            "Spring tech festival",
            "seasonal",
            now + timedelta(days=90),
            now + timedelta(days=104),
            {"type": "threshold", "tiers": [{"min_spend": 500, "discount": 50}]},
        ),
    ]
    return [
        {
            "id": cid,
            "name_zh": zh,
            "name_en": en,
            "kind": kind,
            "starts_at": s,
            "ends_at": e,
            "rules": rules,
            "active": s <= now <= e,
        }
        for cid, zh, en, kind, s, e, rules in spec
    ]


COUPON_TERMS = {
    "double11": (Decimal(30), Decimal(300)),
    "mid618": (Decimal(20), Decimal(200)),
    "new_customer": (Decimal(20), Decimal(99)),
    "winter_refresh": (Decimal(15), Decimal(150)),
}


def _coupons(ctx: Ctx, drafts: list[OrderDraft], campaigns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue coupons; some were used on an order in their window (lowering that order's total)."""
    rng = ctx.rng("coupons")
    by_id = {c["id"]: c for c in campaigns}
    by_customer: dict[str, list[OrderDraft]] = {}
    for o in drafts:
        by_customer.setdefault(o.customer_id, []).append(o)
    codes: set[str] = set()
    rows = []
    for n, (cid, _person) in enumerate(ctx.people):
        if n >= SHOWCASE_COUNT and rng.random() > 0.35:
            continue
        campaign = by_id[rng.choice(tuple(COUPON_TERMS)) if n >= SHOWCASE_COUNT else "winter_refresh"]
        discount, min_spend = COUPON_TERMS[campaign["id"]]
        code = _code(rng, codes)
        expires = campaign["ends_at"] if campaign["id"] != "new_customer" else ctx.now + timedelta(days=30)
        status, used = ("expired" if expires < ctx.now else "issued"), None
        if rng.random() < 0.6:
            for o in by_customer.get(cid, []):
                if (
                    campaign["starts_at"] <= o.placed_at <= campaign["ends_at"]
                    and not o.discount
                    and not o.special
                    and o.status not in ("pending_payment", "cancelled")
                    and o.subtotal >= min_spend
                ):
                    o.discount, status, used = discount, "used", o
                    break
        rows.append(
            {
                "code": code,
                "campaign_id": campaign["id"],
                "customer_id": cid,
                "discount": discount,
                "min_spend": min_spend,
                "expires_at": expires,
                "status": status,
                "used_order": used,
            }
        )
    return rows


def _code(rng: random.Random, taken: set[str]) -> str:
    alphabet = string.ascii_uppercase + string.digits
    while True:
        code = "KF" + "".join(rng.choice(alphabet) for _ in range(8))
        if code not in taken:
            taken.add(code)
            return code


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


# --- rows ---------------------------------------------------------------------------------------------


def _rows(
    ctx: Ctx, drafts: list[OrderDraft], campaigns: list[dict[str, Any]], coupons: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    rng = ctx.rng("rows")
    orders, lines, shipments, events, returns, return_lines = [], [], [], [], [], []
    order_ids: dict[int, str] = {}
    sold: dict[str, int] = {}
    spend: dict[str, Decimal] = {}
    first_order: dict[str, datetime] = {}
    pending_returns: list[tuple[ReturnDraft, str, list[int]]] = []
    for n, o in enumerate(drafts, start=1):
        oid = f"KF{10_000_000 + n:08d}"
        order_ids[id(o)] = oid
        person = ctx.person(o.customer_id)
        orders.append(
            {
                "id": oid,
                "customer_id": o.customer_id,
                "status": o.status,
                "placed_at": o.placed_at,
                "paid_at": o.paid_at,
                "total": o.total,
                "currency": "CNY",
                "shipping_address": person.address,
            }
        )
        first_order.setdefault(o.customer_id, o.placed_at)
        line_ids = []
        for ln in o.lines:
            line_ids.append(len(lines) + 1)
            lines.append(
                {
                    "id": len(lines) + 1,
                    "order_id": oid,
                    "product_id": ln.product_id,
                    "quantity": ln.quantity,
                    "unit_price": ln.unit_price,
                }
            )
            if o.status != "cancelled":
                sold[ln.product_id] = sold.get(ln.product_id, 0) + ln.quantity
        if o.status != "cancelled":
            spend[o.customer_id] = spend.get(o.customer_id, Decimal(0)) + o.total
        if o.shipment:
            shipments.append(_shipment_row(len(shipments) + 1, oid, o.shipment))
            events += [_event_row(len(shipments), e) for e in o.shipment.events]
        pending_returns += [(r, oid, [line_ids[i] for i in r.line_indexes]) for r in o.returns]
    pending_returns.sort(key=lambda t: (t[0].created_at, t[1]))
    for n, (r, oid, lids) in enumerate(pending_returns, start=1):
        rid = f"R{n:08d}"
        returns.append(
            {
                "id": rid,
                "order_id": oid,
                "kind": r.kind,
                "status": r.status,
                "reason": r.reason,
                "refund_amount": r.refund_amount,
                "created_at": r.created_at,
            }
        )
        return_lines += [{"return_id": rid, "order_line_id": lid} for lid in lids]
    for c in coupons:
        used = c.pop("used_order")
        c["used_order_id"] = order_ids[id(used)] if used else None
    return {
        "categories": _category_rows(),
        "products": _product_rows(rng, ctx.products, sold),
        "customers": _customer_rows(rng, ctx, spend, first_order),
        "orders": orders,
        "order_lines": lines,
        "shipments": shipments,
        "tracking_events": events,
        "returns": returns,
        "return_lines": return_lines,
        "campaigns": campaigns,
        "coupons": coupons,
    }


def _shipment_row(sid: int, oid: str, s: ShipmentDraft) -> dict[str, Any]:
    return {
        "id": sid,
        "order_id": oid,
        "carrier": s.carrier,
        "tracking_no": s.tracking_no,
        "status": s.status,
        "shipped_at": s.first_at("picked_up"),
        "delivered_at": s.first_at("delivered"),
        "eta": s.eta,
    }


def _event_row(sid: int, e: TrackPoint) -> dict[str, Any]:
    return {
        "shipment_id": sid,
        "at": e.at,
        "status": e.status,
        "location_zh": e.location_zh,
        "location_en": e.location_en,
        "description_zh": e.description_zh,
        "description_en": e.description_en,
    }


def _category_rows() -> list[dict[str, Any]]:
    return [
        {
            "key": c.key,
            "name_zh": c.name_zh,
            "name_en": c.name_en,
            "keywords_zh": list(c.keywords_zh),
            "keywords_en": list(c.keywords_en),
            "returnable": c.returnable,
            "parent_key": c.parent,
        }
        for c in CATEGORIES
    ]


def _product_rows(
    rng: random.Random, products: list[tuple[str, ProductSpec]], sold: dict[str, int]
) -> list[dict[str, Any]]:
    rows = []
    for pid, p in products:
        if p.category == "gift_card":
            stock = 9999
        elif rng.random() < 0.08:
            stock = 0
        else:
            stock = rng.randint(3, 60) if p.price >= 2000 else rng.randint(20, 800)
        rows.append(
            {
                "id": pid,
                "name_zh": p.name_zh,
                "name_en": p.name_en,
                "brand": p.brand_label,
                "category_key": p.category,
                "price": p.price,
                "stock": stock,
                "popularity": sold.get(pid, 0),
                "attributes": p.attributes,
                "description_zh": p.description_zh,
                "description_en": p.description_en,
            }
        )
    return rows


def _customer_rows(
    rng: random.Random, ctx: Ctx, spend: dict[str, Decimal], first_order: dict[str, datetime]
) -> list[dict[str, Any]]:
    ranked = sorted(ctx.people, key=lambda p: (-spend.get(p[0], Decimal(0)), p[0]))
    n = len(ranked)
    tiers = {}
    for rank, (cid, _person) in enumerate(ranked):
        share = rank / n
        tiers[cid] = "platinum" if share < 0.05 else "gold" if share < 0.17 else "silver" if share < 0.42 else "regular"
    rows = []
    for cid, person in ctx.people:
        created = ctx.now - timedelta(days=rng.uniform(30, 1500))
        first = first_order.get(cid)
        if first and created > first:
            created = first - timedelta(days=rng.uniform(1, 90))
        rows.append(
            {
                "id": cid,
                "name": person.name,
                "language": person.language,
                "email": person.email,
                "phone": person.phone,
                "address": person.address,
                "tier": tiers[cid],
                "created_at": created,
            }
        )
    return rows
