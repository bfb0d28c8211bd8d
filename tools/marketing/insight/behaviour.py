"""A customer's behaviour as plain rows: orders, returns, reviews, chat messages and browsing, oldest first.

What profiles (`profile`) and churn risk (`churn`) read; the store fills it (`server.db.behaviour`), tests build it
by hand. No SQL, no model here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class OrderFact:
    """An order that was not cancelled: when, how much, and per item its category and price position (0 the
    cheapest of its category, 1 the dearest; `tools.marketing.segments.price_position`)."""

    at: datetime
    total: float
    categories: tuple[str, ...] = ()
    price_positions: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class TextFact:
    """A review (with its 1-5 rating) or a chat message (rating None) the customer wrote."""

    at: datetime
    text: str
    language: str
    rating: int | None = None


@dataclass(slots=True)
class CustomerHistory:
    customer_id: str
    name: str = ""
    orders: list[OrderFact] = field(default_factory=list)
    returns: list[datetime] = field(default_factory=list)
    reviews: list[TextFact] = field(default_factory=list)
    messages: list[TextFact] = field(default_factory=list)
    views: list[datetime] = field(default_factory=list)
    carts: list[datetime] = field(default_factory=list)

    def sort(self) -> CustomerHistory:
        """Oldest first everywhere (what `churn` relies on for its cut-offs)."""
        self.orders.sort(key=lambda o: o.at)
        self.returns.sort()
        self.reviews.sort(key=lambda r: r.at)
        self.messages.sort(key=lambda m: m.at)
        self.views.sort()
        self.carts.sort()
        return self
