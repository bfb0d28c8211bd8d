"""Errors the repositories raise; `KeyError`/`ValueError` subclasses so generic handlers still work."""

from __future__ import annotations


class UnknownConversation(KeyError):
    """No conversation with this id (it was never created, or the store was wiped)."""

    def __init__(self, conversation_id: str) -> None:
        super().__init__(conversation_id)
        self.conversation_id = conversation_id

    def __str__(self) -> str:
        return f"unknown conversation {self.conversation_id!r}"


class UnknownOrder(KeyError):
    def __init__(self, order_id: str) -> None:
        super().__init__(order_id)
        self.order_id = order_id

    def __str__(self) -> str:
        return f"unknown order {self.order_id!r}"


class InvalidReturn(ValueError):
    """The return request does not fit the order (lines not on it, no lines, bad kind)."""
