"""Which product goes with what met a customer's need: the cross-sell ranking, on plain data.

Given the products that met the need (`anchors`: the order's items, the product added to the cart), what the
customer owns, the shelf (category, stock, fit attributes) and the mined rules, `rank` lists the complementary
products worth offering, best first; `best` is the one a follow-up offers. Three sources, strictly in this order
(a weaker source is heard only when the stronger one has no candidate left):

1. product rules (`RuleSet.by == "product"`): a rule whose antecedent holds an anchor, and otherwise only what the
   customer owns, proposes its consequent product;
2. category rules (`by == "category"`): the same over the anchors' and owned products' categories; the consequent
   category is mapped to its best product for this customer — one that fits the anchors (a case for the phone
   just bought), else one that shares a fit with them (the protector for the phone a case was bought for), else
   one that fits something else they own, then the best seller; a category the anchors are already in is not
   offered again;
3. the catalogue's fit, when no rule speaks: products that fit an anchor or share a fitting need with it (a
   screen protector for the phone a case was bought for), best sellers first.

A cross-sell is an add-on: never a device that accessories fit (a phone, a camera, a coffee machine: "earphones →
phone" is a strong rule, as phones and earphones share many baskets, but nobody should be offered a phone for
their earphones), and never dearer than the dearest anchor.

A rule's strength is `lift × confidence`: lift alone favours rare pairs (a lift of 40 on a 2% confidence offers
what almost nobody takes), confidence alone favours best sellers that go with everything (lift near 1: bought
anyway); their product, `confidence² / support(consequent)`, wants both. Rules with lift ≤ `MIN_LIFT` are no
association and are dropped. A candidate is never an anchor, never owned or excluded (already offered, in the
cart), always in stock, and never an accessory that does not fit: one needing a device (`compatible_with` & co,
see `tools.marketing.recommender.catalogue`) must fit an owned device or share a need with an anchor, and none
may clash with what they own (no Galaxy case for an iPhone owner) unless an anchor needs the same fit.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tools.marketing.recommender.catalogue import Compatibility, ItemInfo
from tools.marketing.rules.store import RuleSet

MIN_LIFT = 1.0
PRODUCT_RULE, CATEGORY_RULE, COMPATIBLE = "product_rule", "category_rule", "compatible"
TIERS = {PRODUCT_RULE: 0, CATEGORY_RULE: 1, COMPATIBLE: 2}
PRODUCT_KEYS = ("product", "item")  # rule sets whose items are product ids (a baskets file's items may be too)


@dataclass(frozen=True, slots=True)
class RuleRef:
    """One mined rule and the rule set it comes from: what an offer records (`OfferMade.rule`)."""

    rule_set: str
    by: str
    antecedent: tuple[str, ...]
    consequent: tuple[str, ...]
    support: float
    confidence: float
    lift: float

    @property
    def strength(self) -> float:
        return self.lift * self.confidence

    def to_dict(self) -> dict[str, Any]:
        return {"rule_set": self.rule_set, "by": self.by, "antecedent": list(self.antecedent),
                "consequent": list(self.consequent), "support": self.support, "confidence": self.confidence,
                "lift": self.lift}


@dataclass(frozen=True, slots=True)
class Pick:
    """A product to offer: its score within its source, the source (`PRODUCT_RULE`, `CATEGORY_RULE`,
    `COMPATIBLE`), the rule that chose it (None for the catalogue's fit) and the anchor it goes with."""

    product_id: str
    score: float
    source: str
    anchor: str
    rule: RuleRef | None = None


@dataclass(slots=True)
class RuleIndex:
    """Rules by each item of their antecedent: product rules by product id, category rules by category key.
    Only one-item consequents with lift above `MIN_LIFT` (the mining gives no other kind)."""

    product: dict[str, list[RuleRef]] = field(default_factory=dict)
    category: dict[str, list[RuleRef]] = field(default_factory=dict)
    rule_sets: list[str] = field(default_factory=list)

    @classmethod
    def from_rule_sets(cls, rule_sets: Iterable[RuleSet]) -> RuleIndex:
        index = cls()
        for rule_set in rule_sets:
            index.rule_sets.append(rule_set.name)
            target = index.product if rule_set.by in PRODUCT_KEYS else index.category
            for r in rule_set.rules:
                if len(r.consequent) != 1 or r.lift <= MIN_LIFT:
                    continue
                ref = RuleRef(rule_set.name, rule_set.by, tuple(r.antecedent), tuple(r.consequent), r.support,
                              r.confidence, r.lift)
                for item in ref.antecedent:
                    target.setdefault(item, []).append(ref)
        return index

    def counts(self) -> tuple[int, int]:
        """(product rules, category rules)."""
        return (len({id(r) for rs in self.product.values() for r in rs}),
                len({id(r) for rs in self.category.values() for r in rs}))


class Shelf:
    """The products with their fit and prices (a product without a price is taken as costing nothing)."""

    def __init__(self, items: Sequence[ItemInfo], prices: Mapping[str, float] | None = None) -> None:
        self.items = list(items)
        self.index = {info.item: i for i, info in enumerate(self.items)}
        self.fit = Compatibility(self.items)
        self.prices = dict(prices or {})
        # devices: products that some product on the shelf fits (a phone, a camera); never an add-on
        self.devices = np.array([any(t in self.fit.need_mask for t in tokens) for tokens in self.fit.provides],
                                dtype=bool)

    def __contains__(self, product_id: object) -> bool:
        return product_id in self.index

    def info(self, product_id: str) -> ItemInfo:
        return self.items[self.index[product_id]]


def rank(
    anchors: Sequence[str],
    *,
    shelf: Shelf,
    rules: RuleIndex,
    owned: Collection[str] = (),
    exclude: Collection[str] = (),
    popularity: Mapping[str, float] | None = None,
) -> list[Pick]:
    """Every product worth offering with `anchors`, best first (see the module docstring); empty when none is."""
    popularity = popularity or {}
    anchors = list(dict.fromkeys(anchors))
    known = [a for a in anchors if a in shelf]
    if not anchors:
        return []
    context = set(anchors) | set(owned)
    blocked = context | set(exclude)
    anchor_idx = [shelf.index[a] for a in known]
    every_idx = [shelf.index[p] for p in context if p in shelf]
    fits_anchor, _ = shelf.fit.fit(anchor_idx)
    fits_any, clashes = shelf.fit.fit(every_idx)
    shares = _shares(shelf, anchor_idx)  # a case for a Reno 13 says they have one, whatever else they own
    suits = (~shelf.fit.has_needs | fits_any | shares) & (~clashes | shares) & ~shelf.devices
    ceiling = max((shelf.prices.get(a, 0.0) for a in known), default=0.0)

    def available(pid: str) -> bool:
        i = shelf.index.get(pid)
        if i is None or pid in blocked or not suits[i]:
            return False
        if shelf.prices and shelf.prices.get(pid, 0.0) > ceiling:  # an add-on, not a bigger purchase
            return False
        stock = shelf.items[i].stock
        return stock is None or stock > 0

    picks: dict[str, Pick] = {}

    def offer(pick: Pick) -> None:
        held = picks.get(pick.product_id)
        if held is None or (TIERS[pick.source], -pick.score) < (TIERS[held.source], -held.score):
            picks[pick.product_id] = pick

    for anchor in anchors:  # 1. product rules
        for rule in rules.product.get(anchor, ()):
            if set(rule.antecedent) <= context and available(rule.consequent[0]):
                offer(Pick(rule.consequent[0], rule.strength, PRODUCT_RULE, anchor, rule))
    if not picks:  # 2. category rules, each consequent category mapped to its best product for this customer
        anchor_categories = {shelf.info(a).category: a for a in reversed(known)}  # category -> its first anchor
        categories = set(anchor_categories) | {shelf.info(p).category for p in context if p in shelf}
        for category, anchor in anchor_categories.items():
            for rule in rules.category.get(category, ()):
                wanted = rule.consequent[0]
                if wanted in anchor_categories or not set(rule.antecedent) <= categories:
                    continue
                choice = _best_of_category(shelf, wanted, available, (fits_anchor, shares, fits_any), popularity)
                if choice is not None:
                    offer(Pick(choice, rule.strength, CATEGORY_RULE, anchor, rule))
    if not picks:  # 3. the catalogue's fit
        anchor_categories = {shelf.info(a).category for a in known}
        top = max((popularity.get(info.item, 0.0) for info in shelf.items), default=0.0) or 1.0
        for anchor in known:
            for i in np.flatnonzero(_related(shelf, shelf.index[anchor])):
                info = shelf.items[int(i)]
                if info.category not in anchor_categories and available(info.item):
                    offer(Pick(info.item, popularity.get(info.item, 0.0) / top, COMPATIBLE, anchor))
    return sorted(picks.values(), key=lambda p: (TIERS[p.source], -p.score, p.product_id))


def best(anchors: Sequence[str], **kwargs: Any) -> Pick | None:
    """The one product a follow-up offers (`rank`'s first), or None."""
    ranked = rank(anchors, **kwargs)
    return ranked[0] if ranked else None


def _best_of_category(
    shelf: Shelf, category: str, available: Any, preferences: Sequence[np.ndarray], popularity: Mapping[str, float],
) -> str | None:
    """The category's product for this customer: the first of `preferences` (boolean masks, strongest first) it
    meets decides, then units sold."""
    candidates = [(i, info) for i, info in enumerate(shelf.items) if info.category == category and available(info.item)]
    if not candidates:
        return None
    _, info = max(candidates, key=lambda c: (*(bool(m[c[0]]) for m in preferences),
                                            popularity.get(c[1].item, 0.0), c[1].item))
    return info.item


def _shares(shelf: Shelf, anchor_idx: Sequence[int]) -> np.ndarray:
    """Products needing a fit that one of the anchors needs too (a screen protector for the phone a case fits)."""
    shares = np.zeros(len(shelf.items), dtype=bool)
    for mask in shelf.fit.need_mask.values():
        if any(mask[i] for i in anchor_idx):
            shares |= mask
    return shares


def _related(shelf: Shelf, a: int) -> np.ndarray:
    """Products that fit the product at index `a` or share a fitting need with it."""
    fits, _ = shelf.fit.fit([a])
    return fits | _shares(shelf, [a])
