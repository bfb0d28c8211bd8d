"""What the coupon claim needs from the identity graph; `server/db/identities.py` implements it (blocking SQL)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class LinkedAccounts(Protocol):
    def linked_to(self, customer_id: str) -> tuple[str, ...]:
        """The other accounts of the customer's linked group (shared device, phone, address or payment token;
        hub values excluded), none when nothing links them."""
