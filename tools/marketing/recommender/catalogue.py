"""What the catalogue knows: which accessories fit what a customer owns.

Products name their fit in attributes (the demo catalogue's vocabulary): a case or a screen protector
lists the phone `model`s it fits in `compatible_with` (chargers list brands or "universal"); memory cards
and cameras share a `card_type`, brush heads and toothbrushes a `head_system`, straps and watches a
`strap_fit`, coffee and machines a `capsule_system`; a laptop bag `fits_inch` screens up to its size.

Each product becomes tokens it *needs* and tokens it *provides* (a phone provides its model and brand);
an accessory fits a customer when one of its needed tokens is provided by something they own in another
category, and clashes when they own a device of a kind its category serves (a phone, for cases) but
none that it fits (an iPhone 16 owner is not shown Galaxy cases, a Galaxy owner no Apple-only charger).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

EQUAL_KEYS = ("card_type", "head_system", "strap_fit", "capsule_system")
ANY_DEVICE = "universal"

Token = tuple[str, str]


@dataclass(frozen=True, slots=True)
class ItemInfo:
    """A product as the recommender sees it (stock None: unknown, taken as available)."""

    item: str
    category: str = ""
    stock: int | None = None
    brand: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict)


def provides(info: ItemInfo) -> set[Token]:
    a = info.attributes
    out: set[Token] = {(k, str(a[k])) for k in EQUAL_KEYS if a.get(k)}
    if a.get("model"):
        out.add(("compatible_with", str(a["model"])))
        out |= {("compatible_with", b) for b in brand_keys(info.brand)}
    if a.get("screen_inch"):
        out.add(("screen_inch", str(float(a["screen_inch"]))))
    return out


def brand_keys(brand: str) -> set[str]:
    """A brand as `compatible_with` names it: "Apple 苹果" (a store's label) → {"apple"}."""
    ascii_part = "".join(w for w in brand.split() if w.isascii()).casefold()
    return {k for k in (ascii_part, brand.strip().casefold()) if k}


def needs(info: ItemInfo, screen_sizes: Iterable[float]) -> set[Token]:
    a = info.attributes
    out: set[Token] = {(k, str(a[k])) for k in EQUAL_KEYS if a.get(k)}
    out |= {("compatible_with", str(v)) for v in a.get("compatible_with") or () if v != ANY_DEVICE}
    if a.get("fits_inch"):
        out |= {("screen_inch", str(float(s))) for s in screen_sizes if float(s) <= float(a["fits_inch"])}
    return out


class Compatibility:
    """Precomputed fit tokens over an item vocabulary; `fit(owned)` is a few vector ORs per request."""

    def __init__(self, infos: Sequence[ItemInfo]) -> None:
        n = len(infos)
        self.categories = np.array([i.category for i in infos], dtype=object)
        screens = {float(i.attributes["screen_inch"]) for i in infos if i.attributes.get("screen_inch")}
        self.provides = [provides(i) for i in infos]
        need_sets = [needs(i, screens) for i in infos]
        self.has_needs = np.array([bool(s) for s in need_sets], dtype=bool)
        self.need_mask: dict[Token, np.ndarray] = {}
        for idx, tokens in enumerate(need_sets):
            for t in tokens:
                self.need_mask.setdefault(t, np.zeros(n, dtype=bool))[idx] = True
        # which categories' products an accessory category is for (phones and laptops for chargers)
        provider_categories: dict[Token, set[str]] = {}
        for info, tokens in zip(infos, self.provides, strict=True):
            for t in tokens:
                provider_categories.setdefault(t, set()).add(info.category)
        self.serves: dict[str, set[str]] = {}
        for info, tokens in zip(infos, need_sets, strict=True):
            served = self.serves.setdefault(info.category, set())
            for t in tokens:
                served |= provider_categories.get(t, set()) - {info.category}
        self._category_mask = {c: self.categories == c for c in set(self.categories.tolist())}

    def fit(self, owned: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """(fits, clashes) boolean masks over items for a customer owning the `owned` item indexes."""
        n = len(self.categories)
        fits, clashes = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        offered: dict[Token, set[str]] = {}
        for i in owned:
            for t in self.provides[i]:
                offered.setdefault(t, set()).add(self.categories[i])
        if not offered:
            return fits, clashes
        for t, provider_categories in offered.items():
            mask = self.need_mask.get(t)
            if mask is None:
                continue
            m = mask.copy()
            for c in provider_categories:  # a memory card does not "fit" because one owns another card
                m &= ~self._category_mask[c]
            fits |= m
        owned_categories = {self.categories[i] for i in owned}
        for category, served in self.serves.items():
            if served & owned_categories:
                clashes |= self._category_mask[category] & self.has_needs & ~fits
        return fits, clashes
