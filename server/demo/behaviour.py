"""Demo behaviour beside the orders: reviews with needs and ratings, product views and add-to-carts over the year.

Each customer has one or two needs they care about (price, delivery, quality, size/fit, service); their reviews
mention those, praising or complaining. Behaviour foreshadows lapses, as it does in real shops: the order before a
long gap (no order for `LAPSE_DAYS`, or none since) is far more often reviewed with a complaint, and the customer
browses less while they stay away; before an order they look at its category and put the item in the cart. Chance
decides each step, so a complaint is a sign, not a certainty, and recency stays the strongest single signal.

Pure Python on a seeded random stream; rows are keyed by table (`reviews`, `browse_events`), ids assigned here.
Reads the drafts and must not change them.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from server.demo.catalog import CATEGORIES
from server.demo.orders import OrderDraft
from server.demo.people import Person

TEXTS: dict[str, Any] = json.loads(Path(__file__).with_name("reviews.json").read_text(encoding="utf-8"))
NEEDS = ("price", "delivery", "quality", "size_fit", "service")
NEED_WEIGHTS = (4, 3, 4, 1, 1)
SIZED = frozenset({"phone_case", "screen_protector", "watch_strap", "laptop_bag", "toothbrush_heads"})
LAPSE_DAYS = 60
REVIEW_RATE = 0.45
COMPLAINT_IF_LAPSING = 0.5
COMPLAINT_OTHERWISE = 0.08
NEED_MENTION = 0.6  # a review talks about one of the customer's own needs
PREBROWSE_RATE = 0.7  # orders preceded by views of their category
BACKGROUND_PER_MONTH = 1.2  # views a month of a browsing customer, while not lapsing
LAPSE_BROWSE_FACTOR = 0.15
ABANDONED_CART = 0.12
NAMES = {c.key: (c.name_zh, c.name_en) for c in CATEGORIES}


@dataclass(slots=True)
class _Trip:
    """One customer's orders that were not cancelled, oldest first, with their row ids."""

    orders: list[tuple[OrderDraft, str]]


def behaviour_rows(
    rng: random.Random,
    now: datetime,
    people: list[tuple[str, Person]],
    ordered: list[tuple[OrderDraft, dict[str, Any]]],
    by_category: dict[str, list[str]],
) -> dict[str, list[dict[str, Any]]]:
    """Reviews and browse events for every customer. `ordered`: each draft with its order row (for its id);
    `by_category`: product ids per category."""
    trips: dict[str, _Trip] = {}
    for draft, row in ordered:
        if draft.status != "cancelled":
            trips.setdefault(draft.customer_id, _Trip([])).orders.append((draft, row["id"]))
    reviews: list[dict[str, Any]] = []
    browse: list[dict[str, Any]] = []
    for cid, person in people:
        needs = _needs(rng)
        orders = sorted(trips.get(cid, _Trip([])).orders, key=lambda t: t[0].placed_at)
        lapses = _lapse_spans(orders, now)
        for draft, oid in orders:
            lapsing = any(start == draft.placed_at for start, _ in lapses)
            review = _review(rng, now, cid, person.language, needs, draft, oid, lapsing)
            if review:
                reviews.append(review)
            _before_order(rng, cid, draft, by_category, browse)
        _background(rng, now, cid, orders, lapses, by_category, browse)
    reviews.sort(key=lambda r: (r["created_at"], r["customer_id"]))
    browse.sort(key=lambda r: (r["at"], r["customer_id"], r["product_id"]))
    for n, r in enumerate(reviews, start=1):
        r["id"] = n
    for n, r in enumerate(browse, start=1):
        r["id"] = n
    return {"reviews": reviews, "browse_events": browse}


def _needs(rng: random.Random) -> tuple[str, ...]:
    first = rng.choices(NEEDS, weights=NEED_WEIGHTS)[0]
    if rng.random() < 0.35:
        second = rng.choices(NEEDS, weights=NEED_WEIGHTS)[0]
        return (first, second) if second != first else (first,)
    return (first,)


def _lapse_spans(orders: list[tuple[OrderDraft, str]], now: datetime) -> list[tuple[datetime, datetime]]:
    """(order placed, next order placed or now) for each order followed by `LAPSE_DAYS` or more without one."""
    spans = []
    gap = timedelta(days=LAPSE_DAYS)
    for k, (draft, _oid) in enumerate(orders):
        nxt = orders[k + 1][0].placed_at if k + 1 < len(orders) else now
        if nxt - draft.placed_at >= gap:
            spans.append((draft.placed_at, nxt))
    return spans


def _review(rng: random.Random, now: datetime, cid: str, language: str, needs: tuple[str, ...], draft: OrderDraft,
            oid: str, lapsing: bool) -> dict[str, Any] | None:
    delivered = draft.shipment.first_at("delivered") if draft.shipment else None
    lines = [ln for ln in draft.lines if ln.product.category != "gift_card"]
    if delivered is None or not lines or rng.random() >= REVIEW_RATE:
        return None
    at = delivered + timedelta(days=rng.uniform(0.5, 10))
    if at >= now:
        return None
    line = lines[0]
    category = line.product.category
    own = [n for n in needs if n != "size_fit" or category in SIZED] or ["quality"]
    returned = bool(draft.returns)
    complaint = returned or rng.random() < (COMPLAINT_IF_LAPSING if lapsing else COMPLAINT_OTHERWISE)
    if complaint:
        need = rng.choice(own) if rng.random() < 0.8 else ("quality" if returned else rng.choice(("price", "delivery")))
        pool, rating = TEXTS["complaint"][need][language], rng.choice((1, 1, 2))
    elif rng.random() < 0.12:
        pool, rating = TEXTS["mixed"][language], 3
    else:
        need = rng.choice(own) if rng.random() < NEED_MENTION else "none"
        pool, rating = TEXTS["praise"][need][language], rng.choice((4, 5, 5))
    name = NAMES[category][0] if language == "zh" else NAMES[category][1]
    return {"customer_id": cid, "order_id": oid, "product_id": line.product_id, "rating": rating,
            "language": language, "text": rng.choice(pool).replace("{product}", name), "created_at": at}


def _before_order(rng: random.Random, cid: str, draft: OrderDraft, by_category: dict[str, list[str]],
                  out: list[dict[str, Any]]) -> None:
    if rng.random() >= PREBROWSE_RATE:
        return
    main = draft.lines[0]
    start = draft.placed_at - timedelta(days=rng.uniform(0.2, 18))
    peers = by_category.get(main.product.category, [main.product_id])
    for _ in range(rng.randint(1, 5)):
        at = start + (draft.placed_at - start) * rng.random()
        out.append({"customer_id": cid, "product_id": rng.choice(peers), "kind": "view", "at": at})
    if rng.random() < 0.6:
        at = draft.placed_at - timedelta(minutes=rng.uniform(2, 600))
        out.append({"customer_id": cid, "product_id": main.product_id, "kind": "cart", "at": at})


def _background(rng: random.Random, now: datetime, cid: str, orders: list[tuple[OrderDraft, str]],
                lapses: list[tuple[datetime, datetime]], by_category: dict[str, list[str]],
                out: list[dict[str, Any]]) -> None:
    """Idle browsing over the year, scarcer while the customer stays away after a lapse."""
    if not orders and rng.random() < 0.5:
        return
    rate = BACKGROUND_PER_MONTH * rng.lognormvariate(0, 0.6) / 30  # views a day
    liked = [d.lines[0].product.category for d, _ in orders] or list(by_category)
    day = now - timedelta(days=365)
    while True:
        day += timedelta(days=rng.expovariate(rate))
        if day >= now:
            return
        if any(a < day < b for a, b in lapses) and rng.random() >= LAPSE_BROWSE_FACTOR:
            continue
        category = rng.choice(liked) if rng.random() < 0.7 else rng.choice(list(by_category))
        pid = rng.choice(by_category[category])
        out.append({"customer_id": cid, "product_id": pid, "kind": "view", "at": day})
        if rng.random() < ABANDONED_CART:
            out.append({"customer_id": cid, "product_id": pid, "kind": "cart",
                        "at": min(day + timedelta(minutes=rng.uniform(1, 30)), now - timedelta(seconds=1))})
