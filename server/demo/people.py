"""Demo customers and places: names, masked-looking fake contact details, cities, carriers, hubs.

Everything is invented; emails use reserved example domains and phone numbers are shown masked.
The lists themselves are data, in `people.json` beside this module; this module draws people from them.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

DATA = json.loads(Path(__file__).with_name("people.json").read_text(encoding="utf-8"))


def _pairs(rows: list[list[str]]) -> tuple[tuple[str, str], ...]:
    return tuple((zh, en) for zh, en in rows)


@dataclass(frozen=True, slots=True)
class City:
    zh: str
    en: str
    districts: tuple[tuple[str, str], ...]  # (zh, en)
    streets: tuple[tuple[str, str], ...]


ZH_SURNAMES: str = DATA["zh_surnames"]  # one character each
ZH_GIVEN: tuple[str, ...] = tuple(DATA["zh_given"])
ZH_PINYIN: dict[str, str] = DATA["zh_pinyin"]  # surname: pinyin, for email handles
EN_FIRST: tuple[str, ...] = tuple(DATA["en_first"])
EN_LAST: tuple[str, ...] = tuple(DATA["en_last"])
PHONE_PREFIXES: tuple[str, ...] = tuple(DATA["phone_prefixes"])
EMAIL_DOMAINS: tuple[str, ...] = tuple(DATA["email_domains"])
CITIES: tuple[City, ...] = tuple(
    City(c["zh"], c["en"], _pairs(c["districts"]), _pairs(c["streets"])) for c in DATA["cities"]
)
# (carrier label, tracking prefix, digits, share)
CARRIERS: tuple[tuple[str, str, int, int], ...] = tuple(
    (label, prefix, digits, share) for label, prefix, digits, share in DATA["carriers"]
)
WAREHOUSES = _pairs(DATA["warehouses"])  # (zh, en)
HUBS = _pairs(DATA["hubs"])  # (zh, en)


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    language: str
    email: str
    phone: str
    address: str
    city: City
    district: tuple[str, str]


def _masked_phone(rng: random.Random) -> str:
    return f"{rng.choice(PHONE_PREFIXES)}****{rng.randint(0, 9999):04d}"


def _email(rng: random.Random, handle: str) -> str:
    masked = f"{handle[:2]}***{handle[-1]}" if len(handle) > 3 else f"{handle[:1]}***"
    return f"{masked}{rng.randint(1, 99)}@{rng.choice(EMAIL_DOMAINS)}"


def make_person(rng: random.Random, language: str) -> Person:
    """One fake customer; Chinese name and address for zh, English name and address for en."""
    city = rng.choice(CITIES)
    district = rng.choice(city.districts)
    street = rng.choice(city.streets)
    building = rng.randint(1, 999)
    if language == "zh":
        surname = rng.choice(ZH_SURNAMES)
        name = surname + rng.choice(ZH_GIVEN)
        handle = ZH_PINYIN.get(surname, "user") + str(rng.randint(70, 99) * 100 + rng.randint(1, 99))
        address = f"{city.zh}{district[0]}{street[0]}{building}号**栋**室"
    else:
        first, last = rng.choice(EN_FIRST), rng.choice(EN_LAST)
        name = f"{first} {last}"
        handle = f"{first}.{last}".lower()
        address = f"Room ***, No. {building} {street[1]}, {district[1]}, {city.en}"
    return Person(name, language, _email(rng, handle), _masked_phone(rng), address, city, district)


def tracking_number(rng: random.Random, prefix: str, digits: int) -> str:
    return prefix + "".join(str(rng.randint(0, 9)) for _ in range(digits))
