"""The agent's errors that callers handle: an unknown conversation, a message that cannot be processed.

One class each, shared by the agent, the data layer and the channels, so every layer catches the same thing.
"""

from __future__ import annotations


class UnknownConversation(KeyError):
    """No conversation with this id (nothing in its event log, or no row for it)."""

    def __init__(self, conversation_id: str) -> None:
        super().__init__(conversation_id)
        self.conversation_id = conversation_id

    def __str__(self) -> str:
        return f"unknown conversation {self.conversation_id!r}"


class InvalidMessage(ValueError):
    """A message the customer sent that cannot be processed (empty, too long)."""
