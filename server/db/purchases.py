"""Read what the recommender learns from: order lines per customer (with the order's time), recorded
product interactions (`ProductInteracted` events), and the catalogue's products as plain rows; and
`SqlShopperData`, what the chat's `RecommendTool` reads per request (`tools.marketing.ports.ShopperData`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from agent.events import ProductInteracted
from server.db.catalog import SqlProductCatalog
from server.db.models import Conversation, DialogueEvent, Order, OrderLine, Product
from tools.commerce.ports import ProductView

# Interaction kinds (the public `interaction` frame) that count as interest, as in a purchase history.
INTEREST_KINDS = ("clicked", "added_to_cart", "purchased")


def load_purchases(session_factory: sessionmaker[Session]) -> list[tuple[str, datetime, str]]:
    """(customer id, placed at, product id) for every line of every order that was not cancelled."""
    stmt = (
        select(Order.customer_id, Order.placed_at, OrderLine.product_id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.status != "cancelled")
        .order_by(Order.customer_id, Order.placed_at, OrderLine.id)
    )
    with session_factory() as session:
        return [(c, at, p) for c, at, p in session.execute(stmt)]


def load_interactions(session_factory: sessionmaker[Session]) -> list[tuple[str, datetime, str]]:
    """(customer id, day, product id) for recorded interactions of signed-in customers whose payload names
    a product and an interest kind (`clicked`, `added_to_cart`, `purchased`); a customer's interactions on
    one day form one visit."""
    stmt = (
        select(Conversation.customer_id, DialogueEvent.at, DialogueEvent.payload)
        .join(Conversation, Conversation.id == DialogueEvent.conversation_id)
        .where(Conversation.customer_id.is_not(None))
        .where(DialogueEvent.type == ProductInteracted.type)
        .order_by(DialogueEvent.id)
    )
    out: list[tuple[str, datetime, str]] = []
    with session_factory() as session:
        for customer_id, at, payload in session.execute(stmt):
            if isinstance(payload, dict) and payload.get("kind") in INTEREST_KINDS and payload.get("product_id"):
                day = at.replace(hour=0, minute=0, second=0, microsecond=0)
                out.append((customer_id, day, str(payload["product_id"])))
    return out


def load_products(session_factory: sessionmaker[Session]) -> list[dict[str, Any]]:
    """Every product's id, category, stock, brand and attributes."""
    stmt = select(Product.id, Product.category_key, Product.stock, Product.brand, Product.attributes).order_by(
        Product.id
    )
    with session_factory() as session:
        return [
            {"item": i, "category": c, "stock": s, "brand": b, "attributes": dict(a or {})}
            for i, c, s, b, a in session.execute(stmt)
        ]


# A customer's baskets, oldest first, built once as a Core statement and run on the session's connection: building it
# and running it through the ORM for each recommendation cost several times what SQLite spends on it.
_BASKETS = (
    select(Order.id, OrderLine.product_id)
    .join(OrderLine, OrderLine.order_id == Order.id)
    .where(Order.customer_id == bindparam("customer_id"), Order.status != "cancelled")
    .order_by(Order.placed_at, Order.id, OrderLine.id)
)
CATALOGUE_TTL_S = 30.0  # the shelf and units sold are read again after this long (stock moves, rarely by the turn)


class SqlShopperData:
    """Blocking SQL implementation of `tools.marketing.ports.ShopperData`. The shelf (every product) and units sold
    are read once per `ttl_s`, not per request: a cross-sell or recommendation read the whole catalogue each time
    (a third of a cross-sell turn), and the same list object comes back until then, so a tool may key what it builds
    from it on that object."""

    def __init__(self, session_factory: sessionmaker[Session], catalog: SqlProductCatalog, *,
                 ttl_s: float = CATALOGUE_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._sessions = session_factory
        self._catalog = catalog
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._read: dict[str, tuple[float, Any]] = {}

    def _fresh(self, name: str, read: Callable[[], Any]) -> Any:
        with self._lock:
            found = self._read.get(name)
            if found is not None and self._clock() - found[0] <= self._ttl_s:
                return found[1]
        value = read()
        with self._lock:
            self._read[name] = (self._clock(), value)
        return value

    def purchases(self, customer_id: str) -> list[list[str]]:
        baskets: dict[str, list[str]] = {}
        with self._sessions() as session:
            for order_id, product_id in session.connection().execute(_BASKETS, {"customer_id": customer_id}):
                baskets.setdefault(order_id, []).append(product_id)
        return list(baskets.values())

    def shelf(self) -> list[ProductView]:
        return self._fresh("shelf", self._catalog.every)  # type: ignore[no-any-return]

    def popularity(self) -> dict[str, float]:
        return self._fresh("popularity", self._popularity)  # type: ignore[no-any-return]

    def _popularity(self) -> dict[str, float]:
        with self._sessions() as session:
            return {i: float(n or 0) for i, n in session.execute(select(Product.id, Product.popularity))}
