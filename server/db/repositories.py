"""One import point for the repositories (each lives in its own small module)."""

from __future__ import annotations

from server.db.catalog import SqlProductCatalog
from server.db.conversations import ConversationRepository, ConversationRow
from server.db.customers import CustomerRepository, CustomerRow
from server.db.errors import InvalidReturn, UnknownConversation, UnknownOrder
from server.db.events import SqlEventStore
from server.db.orders import SqlOrderRepository

__all__ = [
    "ConversationRepository",
    "ConversationRow",
    "CustomerRepository",
    "CustomerRow",
    "InvalidReturn",
    "SqlEventStore",
    "SqlOrderRepository",
    "SqlProductCatalog",
    "UnknownConversation",
    "UnknownOrder",
]
