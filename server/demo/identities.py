"""The demo store's account identifiers: devices, phones, shipping addresses and payment tokens, with planted
linked accounts for the identity graph (issue 15) and innocent near-misses it must not link.

Most customers have identifiers of their own. Planted on customers outside the showcase and scenario ones (whose
scripted stories must not change): accounts sharing a device (a family tablet), a chain linked by a device then
an address, pairs sharing a phone, an address or a payment token (each written differently on each account), and
a coupon farm — the store's welcome-coupon holders plus its accounts with no order yet, all signed in from one
phone and most paying with one card. Near-misses: neighbours in one building (other room), a store pickup point
many customers ship to (a hub), placeholder device ids and a 138-0000-0000 phone, phones one digit apart.

A pure function of the seed and the generated rows (`plan`), so a test can replay it and compare the graph's
groups with what was planted.
"""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tools.marketing.insight.identity_keys import identifier_key

RESERVED = 28  # showcase + scenario customers (server.demo.generate): left unlinked
PICKUP_POINT = "上海市浦东新区张江路88号 Kefu 自提点"
PICKUP_USERS = 12  # more than the graph's hub limit: a public value, not evidence
PLACEHOLDER_DEVICES = ("00000000-0000-0000-0000-000000000000", "unknown")
PLACEHOLDER_PHONE = "13800000000"
FARM_MAX = 6
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass(frozen=True, slots=True)
class PlantedGroup:
    """Accounts the demo data links on purpose, by what (`kind`: device, phone, address, payment, chain, farm)."""

    name: str
    kind: str
    accounts: tuple[str, ...]


@dataclass(slots=True)
class IdentityPlan:
    rows: list[dict[str, Any]] = field(default_factory=list)
    planted: list[PlantedGroup] = field(default_factory=list)
    near_misses: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # (what, accounts)


@dataclass(slots=True)
class _Account:
    customer_id: str
    language: str
    created_at: datetime
    values: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, value) -> source


def plan(seed: int, rows: dict[str, list[dict[str, Any]]], now: datetime) -> IdentityPlan:
    """Identifier rows for every customer in `rows["customers"]`, and the groups planted among them."""
    rng = random.Random(f"kefu-demo:{seed}:identities")
    customers = rows["customers"]
    accounts = {c["id"]: _Account(c["id"], c["language"], c["created_at"]) for c in customers}
    used: set[tuple[str, str]] = set()
    own_phone: dict[str, str] = {}
    own_address: dict[str, str] = {}
    for c in customers:
        a = accounts[c["id"]]
        for _ in range(1 + (rng.random() < 0.35)):
            _add(a, "device", _unique(rng, used, "device", lambda: str(uuid.UUID(int=rng.getrandbits(128)))),
                 "sign_in")
        own_phone[a.customer_id] = _unique(rng, used, "phone", lambda c=c: _full_phone(rng, c["phone"]))
        _add(a, "phone", own_phone[a.customer_id], "profile")
        own_address[a.customer_id] = _unique(rng, used, "address", lambda c=c: _full_address(rng, c["address"]))
        _add(a, "address", own_address[a.customer_id], "profile")
        if rng.random() < 0.7:
            _add(a, "payment", _unique(rng, used, "payment", lambda: f"tok_{rng.getrandbits(64):016x}"), "payment")
    out = IdentityPlan()
    pool = [c["id"] for c in customers[RESERVED:]]
    welcome = {c["customer_id"] for c in rows.get("coupons", []) if c["campaign_id"] == "new_customer"}
    ordered = {o["customer_id"] for o in rows.get("orders", []) if o["status"] != "cancelled"}
    _plant_farm(rng, out, accounts, pool, welcome, ordered, used)
    rng.shuffle(pool)

    def take(n: int) -> list[str] | None:
        if len(pool) < n:
            return None
        return [pool.pop() for _ in range(n)]

    for i, size in enumerate((3, 2, 2)):  # family devices
        group = take(size)
        if group:
            device = _unique(rng, used, "device", lambda: str(uuid.UUID(int=rng.getrandbits(128))))
            for n, cid in enumerate(group):
                _add(accounts[cid], "device", device.upper() if n % 2 else device, "session")
            out.planted.append(PlantedGroup(f"shared_device_{i + 1}", "device", tuple(sorted(group))))
    if group := take(2):
        a, b = group
        phone = own_phone[a]
        _add(accounts[b], "phone", f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}", "order")
        out.planted.append(PlantedGroup("shared_phone", "phone", tuple(sorted(group))))
    if group := take(2):
        a, b = group
        _add(accounts[b], "address", _rewritten(own_address[a]), "order")
        out.planted.append(PlantedGroup("shared_address", "address", tuple(sorted(group))))
    if group := take(2):
        token = _unique(rng, used, "payment", lambda: f"tok_{rng.getrandbits(64):016x}")
        for cid in group:
            _add(accounts[cid], "payment", token, "payment")
        out.planted.append(PlantedGroup("shared_payment", "payment", tuple(sorted(group))))
    if group := take(3):  # a chain: a-b by a device, b-c by an address
        a, b, c = group
        device = _unique(rng, used, "device", lambda: str(uuid.UUID(int=rng.getrandbits(128))))
        _add(accounts[a], "device", device, "sign_in")
        _add(accounts[b], "device", device, "session")
        _add(accounts[c], "address", _rewritten(own_address[b]), "order")
        out.planted.append(PlantedGroup("chain", "chain", tuple(sorted(group))))
    _near_misses(rng, out, accounts, pool, own_phone, own_address, used)
    for a in accounts.values():
        for (kind, value), source in a.values.items():
            seen = a.created_at + timedelta(days=rng.uniform(0, max(1.0, (now - a.created_at).days)))
            out.rows.append({"customer_id": a.customer_id, "kind": kind, "value": value,
                             "value_key": identifier_key(kind, value), "source": source,
                             "first_seen": min(seen, now - timedelta(hours=1)),
                             "last_seen": now - timedelta(hours=rng.uniform(1, 24 * 30))})
    for r in out.rows:
        r["last_seen"] = max(r["last_seen"], r["first_seen"])
    out.rows.sort(key=lambda r: (r["customer_id"], r["kind"], r["value"]))
    return out


def _plant_farm(rng: random.Random, out: IdentityPlan, accounts: dict[str, _Account], pool: list[str],
                welcome: set[str], ordered: set[str], used: set[tuple[str, str]]) -> None:
    """Welcome-coupon holders and accounts with no order yet, on one phone and (most) one card."""
    fresh = [cid for cid in pool if cid not in ordered]
    holders = [cid for cid in pool if cid in welcome and cid not in fresh]
    members = fresh[:2] + holders[: FARM_MAX - len(fresh[:2])]
    if len(members) < 2:
        return
    device = _unique(rng, used, "device", lambda: str(uuid.UUID(int=rng.getrandbits(128))))
    card = _unique(rng, used, "payment", lambda: f"tok_{rng.getrandbits(64):016x}")
    for n, cid in enumerate(members):
        _add(accounts[cid], "device", device, "sign_in")
        if n % 3 != 2:
            _add(accounts[cid], "payment", card, "payment")
        pool.remove(cid)
    out.planted.append(PlantedGroup("coupon_farm", "farm", tuple(sorted(members))))


def _near_misses(rng: random.Random, out: IdentityPlan, accounts: dict[str, _Account], pool: list[str],
                 own_phone: dict[str, str], own_address: dict[str, str], used: set[tuple[str, str]]) -> None:
    """Values that look alike or are shared by many, which must link nobody."""
    if len(pool) >= 2:  # neighbours: the same building, another room
        a, b = pool[-1], pool[-2]
        neighbour = _other_room(own_address[a])
        if ("address", identifier_key("address", neighbour) or "") not in used:
            _add(accounts[b], "address", neighbour, "order")
            out.near_misses.append(("neighbours", (a, b)))
    if len(pool) >= 4:  # phones one digit apart
        a, b = pool[-3], pool[-4]
        phone = own_phone[a]
        near = phone[:-1] + str((int(phone[-1]) + 1) % 10)
        if ("phone", near) not in used:
            _add(accounts[b], "phone", near, "order")
            out.near_misses.append(("phones one digit apart", (a, b)))
    everyone = [cid for cid in accounts][RESERVED:]
    pickup = rng.sample(everyone, min(PICKUP_USERS, len(everyone)))
    for cid in pickup:
        _add(accounts[cid], "address", PICKUP_POINT, "order")
    out.near_misses.append(("store pickup point", tuple(sorted(pickup))))
    placeholder = rng.sample(everyone, min(6, len(everyone)))
    for n, cid in enumerate(placeholder):
        _add(accounts[cid], "device", PLACEHOLDER_DEVICES[n % 2], "session")
    for cid in placeholder[:3]:
        _add(accounts[cid], "phone", PLACEHOLDER_PHONE, "order")
    out.near_misses.append(("placeholder device ids and phone", tuple(sorted(placeholder))))


def _add(a: _Account, kind: str, value: str, source: str) -> None:
    a.values.setdefault((kind, value), source)


def _unique(rng: random.Random, used: set[tuple[str, str]], kind: str, make: Any) -> str:
    for _ in range(50):
        value = make()
        key = identifier_key(kind, value)
        if key is not None and (kind, key) not in used:
            used.add((kind, key))
            return str(value)
    raise RuntimeError(f"no unique {kind} value")


def _full_phone(rng: random.Random, shown: str) -> str:
    """The whole number behind a masked one (138****1234): the hidden middle drawn from the seed."""
    digits = re.sub(r"\D", "", shown)
    if len(digits) == 7:
        return f"{digits[:3]}{rng.randint(1000, 9999)}{digits[3:]}"
    return f"1{rng.choice('3456789')}{rng.randint(10**8, 10**9 - 1)}"


def _full_address(rng: random.Random, shown: str) -> str:
    """The whole address behind a masked one: building and room drawn from the seed."""
    building, room = rng.randint(1, 30), rng.randint(1, 33) * 100 + rng.randint(1, 8)
    if "**栋**室" in shown:
        return shown.replace("**栋**室", f"{building}栋{room}室")
    if "Room ***" in shown:
        return shown.replace("Room ***", f"Room {room}, Building {building}")
    return f"{shown} {building}-{room}"


def _rewritten(address: str) -> str:
    """The same address as another person types it: full-width digits and spaces, or abbreviated and upper."""
    if address.isascii():
        return address.replace("Road", "Rd").replace("Street", "St.").replace("Room", "Rm").upper()
    return re.sub(r"(区)", r"\1 ", address).translate(_FULL_WIDTH)


def _other_room(address: str) -> str:
    numbers = list(re.finditer(r"\d+", address))
    room = next((m for m in numbers if len(m.group()) >= 3 and ("室" in address[m.end():m.end() + 1]
                                                              or address[:m.start()].endswith("Room "))), None)
    if room is None:
        room = numbers[-1]
    value = int(room.group()) + 1
    return address[: room.start()] + str(value) + address[room.end():]
