"""A shopper's segment for offer copy: price-sensitive, quality-sensitive or default.

Provisional: a simple reading of the customer's order history until customer insight (issue 15) gives a better one.
The rule, in order:

- no verified customer, or no order yet: `default` (nothing to go on);
- at least half of their orders used a coupon: `price_sensitive`;
- what they bought sits high in its categories' price range (mean price position ≥ `HIGH_BAND`): `quality_sensitive`;
- low in it (≤ `LOW_BAND`): `price_sensitive`;
- otherwise `default`.

The price position of an item is the share of its category's products that cost less (0: the cheapest, 1: the
dearest), so a ¥9,999 phone and a ¥499 coffee grinder can both be "high". Plain data in and out; the store computes
the history (`HistorySource`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

Segment = Literal["price_sensitive", "quality_sensitive", "default"]
SHOPPER_SEGMENTS: tuple[Segment, ...] = ("price_sensitive", "quality_sensitive", "default")
COUPON_SHARE = 0.5  # orders with a coupon, of all orders, from which a shopper counts as price-sensitive
HIGH_BAND = 0.65
LOW_BAND = 0.35


@dataclass(frozen=True, slots=True)
class ShopperHistory:
    """What the segment rule reads: orders placed (not cancelled), how many of them used a coupon, and the mean
    price position of the items bought (None when nothing priced was bought)."""

    orders: int
    with_coupon: int
    price_position: float | None


@runtime_checkable
class HistorySource(Protocol):
    def history(self, customer_id: str) -> ShopperHistory | None:
        """The customer's history, or None for a customer the store does not know. Blocking (SQL)."""


def shopper_segment(history: ShopperHistory | None) -> Segment:
    """The provisional segment of a shopper with this history (see the module docstring)."""
    if history is None or history.orders <= 0:
        return "default"
    if history.with_coupon / history.orders >= COUPON_SHARE:
        return "price_sensitive"
    position = history.price_position
    if position is not None and position >= HIGH_BAND:
        return "quality_sensitive"
    if position is not None and position <= LOW_BAND:
        return "price_sensitive"
    return "default"


def price_position(price: float, category_prices: list[float]) -> float:
    """The share of the category's products priced below `price`, ties counted half ([0, 1]; 0.5 alone)."""
    if not category_prices:
        return 0.5
    below = sum(1 for p in category_prices if p < price)
    same = sum(1 for p in category_prices if p == price)
    return (below + 0.5 * same) / len(category_prices)
