"""Errors the repositories raise; `KeyError`/`ValueError` subclasses so generic handlers still work."""

from __future__ import annotations

from agent.errors import UnknownConversation  # one class for every layer

__all__ = ["InvalidReturn", "UnknownConversation", "UnknownOrder"]


class UnknownOrder(KeyError):
    def __init__(self, order_id: str) -> None:
        super().__init__(order_id)
        self.order_id = order_id

    def __str__(self) -> str:
        return f"unknown order {self.order_id!r}"


class InvalidReturn(ValueError):
    """The return request does not fit the order (lines not on it, no lines, bad kind)."""
