"""What makes two identifier values the same, and what an operator may see of one.

An account's identifiers (a device id from a sign-in, a phone, a shipping address, a payment token) are compared
by a normalised key, never by the raw text: "+86 138-0013-8000" and "13800138000" are one phone, "上海市浦东新区
张杨路５００号３栋1201室" and "上海市浦东新区张杨路500号3栋1201室" one address. Placeholders that many clients send
(an all-zero device id, "unknown", a phone of one repeated digit) are no key at all: they would link strangers.

Addresses keep their room: two flats of one building are different keys. Display values are masked the way the
logs mask them (phones 138****8000, addresses cut to the district, tokens and devices to their last four), with
a short fingerprint of the key so an operator can see that two masked values are the same value.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Literal

Kind = Literal["device", "phone", "address", "payment"]
KINDS: tuple[Kind, ...] = ("device", "phone", "address", "payment")

_PLACEHOLDERS = frozenset({"", "0", "null", "none", "nil", "undefined", "unknown", "n/a", "na", "-", "default",
                           "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
                           "0000000000000000", "02:00:00:00:00:00", "000000000000000"})
_EN_WORDS = {"road": "rd", "street": "st", "avenue": "ave", "lane": "ln", "boulevard": "blvd", "drive": "dr",
             "room": "rm", "apartment": "rm", "apt": "rm", "flat": "rm", "unit": "rm", "suite": "rm", "number": "no",
             "building": "bldg", "floor": "fl"}
_ZH_FOLD = {"幢": "栋", "座": "栋", "號": "号", "楼": "栋"}


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().lower()


def phone_key(value: str) -> str | None:
    """Digits of a mainland mobile without the country code; None for anything that is not one or a placeholder
    (one digit repeated, 13800000000-style runs of zeros)."""
    digits = re.sub(r"\D", "", _nfkc(value))
    for prefix in ("0086", "86"):
        if len(digits) == 11 + len(prefix) and digits.startswith(prefix):
            digits = digits[len(prefix):]
    if not re.fullmatch(r"1[3-9]\d{9}", digits):
        return None
    if len(set(digits[3:])) == 1:  # 13800000000, 13999999999: typed to get past a form
        return None
    return digits


def address_key(value: str) -> str | None:
    """Full-width folded, case-folded, spaces and punctuation out, English street words abbreviated, 幢/座/楼 as 栋;
    the building and room stay, so neighbours are different keys."""
    text = _nfkc(value)
    for zh, same in _ZH_FOLD.items():
        text = text.replace(zh, same)
    words = re.findall(r"[a-z]+|\d+|[\u4e00-\u9fff]", text)
    key = "".join(_EN_WORDS.get(w, w) if w.isascii() and w.isalpha() else w for w in words)
    key = key.replace("nos", "no")
    return key if len(key) >= 6 else None


def device_key(value: str) -> str | None:
    """Case- and dash-insensitive device id; placeholders and ids of one repeated character are none."""
    text = _nfkc(value)
    if text in _PLACEHOLDERS:
        return None
    compact = re.sub(r"[^0-9a-z]", "", text)
    if len(compact) < 8 or len(set(compact)) <= 1:
        return None
    return compact


def payment_key(value: str) -> str | None:
    text = _nfkc(value)
    if text in _PLACEHOLDERS or len(text) < 8:
        return None
    return text


_KEYS = {"device": device_key, "phone": phone_key, "address": address_key, "payment": payment_key}


def identifier_key(kind: str, value: str | None) -> str | None:
    """The comparable key of one identifier value, or None when the value is no evidence of who someone is."""
    if value is None or kind not in _KEYS:
        return None
    return _KEYS[kind](value)


def fingerprint(kind: str, key: str) -> str:
    """Four hex digits of the key's hash: the same value shows the same fingerprint, without showing the value."""
    return hashlib.sha256(f"{kind}:{key}".encode()).hexdigest()[:4]


def masked(kind: str, value: str, key: str | None = None) -> str:
    """What an operator sees of a value: phones as 138****8000, addresses to their district, devices and payment
    tokens by their last four, each with the key's fingerprint (#1a2b)."""
    key = key if key is not None else identifier_key(kind, value)
    tag = f" #{fingerprint(kind, key)}" if key else ""
    if kind == "phone" and key:
        return f"{key[:3]}****{key[-4:]}{tag}"
    if kind == "address":
        return _masked_address(_nfkc(value) if value.isascii() else unicodedata.normalize("NFKC", value)) + tag
    tail = re.sub(r"[^0-9A-Za-z]", "", key or value)[-4:]  # from the key: one value, one display
    label = "token" if kind == "payment" else "device"
    return f"{label} …{tail}{tag}"


def _masked_address(text: str) -> str:
    zh = re.match(r"^[\u4e00-\u9fff]{2,}?(?:省|市)?[\u4e00-\u9fff]*?(?:区|县|市)", text)
    if zh:
        return zh.group(0) + "***"
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) >= 2:
        return "***, " + ", ".join(parts[-2:]).title()
    return "***"
