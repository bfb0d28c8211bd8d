"""Narrow, synchronous data interfaces the business tools need; `server/db` implements them.

Plain dataclasses in, plain dataclasses out, so tool algorithms test without a database. Methods are
blocking (SQL); tools call them through `asyncio.to_thread`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class TrackingEventView:
    at: datetime
    # label_created | picked_up | in_transit | out_for_delivery | delivered | exception | returned
    status: str
    location_zh: str
    location_en: str
    description_zh: str
    description_en: str


@dataclass(frozen=True, slots=True)
class ShipmentView:
    shipment_id: int
    carrier: str
    tracking_no: str
    status: str  # same vocabulary as TrackingEventView.status
    shipped_at: datetime | None
    delivered_at: datetime | None
    eta: datetime | None
    events: list[TrackingEventView] = field(default_factory=list)  # oldest first


@dataclass(frozen=True, slots=True)
class OrderLineView:
    line_id: int
    product_id: str
    name_zh: str
    name_en: str
    category: str  # category key, e.g. "phone_case"
    quantity: int
    unit_price: Decimal
    returnable: bool  # False for categories excluded from no-reason returns


@dataclass(frozen=True, slots=True)
class ReturnView:
    return_id: str
    order_id: str
    line_ids: list[int]
    kind: str  # no_reason | quality
    status: str  # requested | approved | received | refunded | rejected
    reason: str
    refund_amount: Decimal
    created_at: datetime
    request_key: str | None = None  # the idempotency key it was filed under (a chat turn's), if any


@dataclass(frozen=True, slots=True)
class OrderWishView:
    """A wish recorded on an order before it ships (`tools.commerce.order_changes`): a courier, a courier to avoid,
    a ship-later date, a cancellation, shipping together with another order, or shipping items separately."""

    wish_id: int
    order_id: str
    kind: str  # courier | avoid_courier | ship_after | cancel | ship_together | ship_separately
    value: str  # a courier key, an ISO date, the other order's id, or "" (cancel, ship_separately)
    status: str  # active | replaced | done
    conversation_id: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CancelledOrder:
    """What cancelling an order did: the refund due (nothing for an unpaid order), the coupons given back, the units
    put back in stock."""

    order_id: str
    refund_amount: Decimal
    coupons_returned: list[str]
    units_restocked: int


@dataclass(frozen=True, slots=True)
class OrderView:
    order_id: str
    customer_id: str
    status: str  # pending_payment | paid | shipped | delivered | cancelled
    placed_at: datetime
    total: Decimal
    currency: str
    lines: list[OrderLineView] = field(default_factory=list)
    shipment: ShipmentView | None = None
    returns: list[ReturnView] = field(default_factory=list)
    wishes: list[OrderWishView] = field(default_factory=list)  # active ones, oldest first
    shipping_address: str = ""  # compared, never shown to the customer


@dataclass(frozen=True, slots=True)
class CategoryView:
    key: str
    name_zh: str
    name_en: str
    keywords_zh: list[str] = field(default_factory=list)
    keywords_en: list[str] = field(default_factory=list)
    returnable: bool = True


@dataclass(frozen=True, slots=True)
class ProductView:
    product_id: str
    name_zh: str
    name_en: str
    category: str
    category_zh: str
    category_en: str
    price: Decimal
    stock: int
    brand: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)  # a listing number, if any, is `item_no`
    description_zh: str = ""
    description_en: str = ""


def same_contact(given: str, *, phone: str, email: str) -> bool:
    """Does `given` (what the customer wrote) name this phone (same last 11 digits, 6 at least) or email?"""
    given = given.strip()
    if "@" in given:
        return bool(email) and given.casefold() == email.strip().casefold()
    digits, on_file = "".join(c for c in given if c.isdigit()), "".join(c for c in phone if c.isdigit())
    return len(digits) >= 6 and len(on_file) >= 6 and digits[-11:] == on_file[-11:]


@runtime_checkable
class OrderRepository(Protocol):
    def get_order(self, order_id: str) -> OrderView | None:
        """Any order by id (callers enforce ownership)."""

    def list_orders(self, customer_id: str, *, limit: int = 5) -> list[OrderView]:
        """A customer's orders, newest first."""

    def contact_matches(self, order_id: str, contact: str) -> bool:
        """Is `contact` (a phone number or an email) the one on the order's customer? The contact details
        themselves never leave the repository."""

    def create_return(
        self,
        *,
        order_id: str,
        line_ids: list[int],
        kind: str,
        reason: str,
        refund_amount: Decimal,
        now: datetime,
        key: str | None = None,
    ) -> ReturnView:
        """Record a return request (status `requested`) in one transaction; with `key`, at most once: the return
        already filed under the key is returned instead."""


@runtime_checkable
class OrderChangeRepository(Protocol):
    """What the order-change tool records: wishes on an order before it ships, and cancellations."""

    def record_wish(self, *, order_id: str, kind: str, value: str, conversation_id: str | None,
                    now: datetime) -> OrderWishView:
        """Record a wish (an earlier active one of the same kind on the order is replaced); refuses
        (`OrderAlreadyShipped`) an order that shipped or was cancelled meanwhile."""

    def cancel_order(self, *, order_id: str, conversation_id: str | None, now: datetime) -> CancelledOrder:
        """Cancel an unshipped order in one transaction: its status, its units back in stock, its unexpired coupons
        back to the customer, the cancellation recorded as a wish done; refuses (`OrderAlreadyShipped`) an order
        that shipped or was cancelled meanwhile."""


class OrderAlreadyShipped(Exception):
    """The order left the warehouse (or was cancelled) between the check and the write."""


@runtime_checkable
class ProductCatalog(Protocol):
    def categories(self) -> list[CategoryView]: ...

    def search(
        self, *, text: str | None = None, category: str | None = None, limit: int = 5
    ) -> list[ProductView]:
        """In-stock products first, matching category and/or words of name/brand (zh or en)."""


@runtime_checkable
class ProductShelfSource(Protocol):
    """The whole catalogue at once, for answering questions about products (a few hundred to a few thousand)."""

    def categories(self) -> list[CategoryView]: ...

    def every(self) -> list[ProductView]:
        """Every product, in a stable order."""
