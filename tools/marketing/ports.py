"""What the marketing tools need from the store; `server/db` implements it (blocking SQL: call it through
`asyncio.to_thread`). Plain data out, so the tools test against in-memory fakes."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from tools.commerce.ports import ProductView


@runtime_checkable
class ShopperData(Protocol):
    def purchases(self, customer_id: str) -> list[list[str]]:
        """The customer's baskets (product ids of one order each, cancelled orders left out), oldest first."""

    def shelf(self) -> list[ProductView]:
        """Every product of the catalogue with its current stock, brand and attributes."""

    def popularity(self) -> dict[str, float]:
        """Units sold per product id (what a store with no trained model recommends to everyone)."""
