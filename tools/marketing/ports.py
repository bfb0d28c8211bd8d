"""What the marketing tools need from outside: the store (`ShopperData`; `server/db` implements it with blocking
SQL: call it through `asyncio.to_thread`) and the live signals (`LiveSignals`; in process here, Redis in
`server/infra`). Plain data out, so the tools test against in-memory fakes."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from tools.commerce.ports import ProductView
from tools.marketing.session import Session, Shown, Touch


@runtime_checkable
class ShopperData(Protocol):
    def purchases(self, customer_id: str) -> list[list[str]]:
        """The customer's baskets (product ids of one order each, cancelled orders left out), oldest first."""

    def shelf(self) -> list[ProductView]:
        """Every product of the catalogue with its current stock, brand and attributes."""

    def popularity(self) -> dict[str, float]:
        """Units sold per product id (what a store with no trained model recommends to everyone)."""


@runtime_checkable
class LiveSignals(Protocol):
    """The live in-session signal and trending items (`tools.marketing.live`): in process, or in Redis so every
    worker serves the same updated list. Never raises: an unreachable store logs, reads as unknown (None, no
    trending items) and the caller falls back to the event log, which stays the truth."""

    async def start(self, conversation_id: str) -> None:
        """Mark the conversation's live session as holding everything from its start."""

    async def shown(self, conversation_id: str, entry: Shown) -> None:
        """Record a list shown."""

    async def touch(self, conversation_id: str, entry: Touch) -> Session | None:
        """Record an interaction (and count it towards its product's trend); the session after it, or None."""

    async def read(self, conversation_id: str, hot: int = 20) -> tuple[Session | None, dict[str, float]]:
        """The session (None when unknown) and the `hot` most trending products with their decayed counts."""

    async def aclose(self) -> None: ...
