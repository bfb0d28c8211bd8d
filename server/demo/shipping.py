"""Demo parcels and returns: tracking timelines (with exceptions and parcels sent back), carriers, return requests.

Pure Python on seeded `random.Random` objects, like the rest of `server.demo`; the texts (parcel exceptions,
reasons customers give for a return) are data, in `shipping.json`.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from server.demo.catalog import NON_RETURNABLE
from server.demo.orders import OrderDraft, ReturnDraft, TrackPoint, money
from server.demo.people import CARRIERS, HUBS, WAREHOUSES, Person

TEXTS = json.loads(Path(__file__).with_name("shipping.json").read_text(encoding="utf-8"))
EXCEPTIONS: tuple[tuple[str, str], ...] = tuple((zh, en) for zh, en in TEXTS["parcel_exceptions"])  # (zh, en)
REASONS: dict[str, dict[str, tuple[str, ...]]] = {  # return kind → language → reasons a customer gives
    kind: {lang: tuple(texts) for lang, texts in by_language.items()}
    for kind, by_language in TEXTS["return_reasons"].items()
}


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
        reasons = REASONS["no_reason"]["zh" if language == "zh" else "en"]
    else:
        kind, window = "quality", 14.0
        chosen = [rng.randrange(len(order.lines))]
        reasons = REASONS["quality"]["zh" if language == "zh" else "en"]
    created = delivered_at + timedelta(days=rng.uniform(0.2, window))
    if created > now:
        return None
    amount = money(sum((order.lines[i].unit_price * order.lines[i].quantity for i in chosen), Decimal("0")))
    return ReturnDraft(
        chosen, kind, return_status(rng, now - created), rng.choice(reasons), min(amount, order.total), created
    )
