"""Customers' behaviour from the store's tables, as the plain rows customer insight reads
(`tools.marketing.insight.behaviour.CustomerHistory`): orders not cancelled with their items' categories and price
positions, returns, reviews, what they wrote in chat (`user_uttered` events of their conversations), product views
and add-to-carts. Blocking SQL; one query per table, the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from server.db.models import (
    BrowseEvent,
    Conversation,
    Customer,
    DialogueEvent,
    Order,
    OrderLine,
    Product,
    Return,
    Review,
)
from tools.marketing.insight.behaviour import CustomerHistory, OrderFact, TextFact
from tools.marketing.segments import price_position


def _only(stmt: Select, column: object, ids: Collection[str] | None) -> Select:
    return stmt if ids is None else stmt.where(column.in_(list(ids)))  # type: ignore[attr-defined]


def load_histories(sessions: sessionmaker[Session], *, customer_ids: Collection[str] | None = None,
                   until: datetime | None = None) -> dict[str, CustomerHistory]:
    """Every customer's history (or those of `customer_ids`), oldest first; events at or after `until` left out."""
    out: dict[str, CustomerHistory] = {}
    with sessions() as s:
        for cid, name in s.execute(_only(select(Customer.id, Customer.name), Customer.id, customer_ids)):
            out[cid] = CustomerHistory(cid, name)
        shelf: dict[str, list[float]] = {}
        for category, price in s.execute(select(Product.category_key, Product.price)):
            shelf.setdefault(category, []).append(float(price))
        positions = {cat: sorted(prices) for cat, prices in shelf.items()}
        items: dict[str, list[tuple[str, float]]] = {}
        line_q = (select(OrderLine.order_id, Product.category_key, OrderLine.unit_price)
                  .join(Product, Product.id == OrderLine.product_id).join(Order, Order.id == OrderLine.order_id)
                  .where(Order.status != "cancelled"))
        for oid, category, price in s.execute(_only(line_q, Order.customer_id, customer_ids)):
            items.setdefault(oid, []).append((category, price_position(float(price), positions.get(category, []))))
        order_q = select(Order.id, Order.customer_id, Order.placed_at, Order.total).where(Order.status != "cancelled")
        for oid, cid, at, total in s.execute(_only(order_q, Order.customer_id, customer_ids)):
            got = items.get(oid, [])
            out[cid].orders.append(OrderFact(at, float(total), tuple(c for c, _ in got), tuple(p for _, p in got)))
        return_q = select(Order.customer_id, Return.created_at).join(Order, Order.id == Return.order_id)
        for cid, at in s.execute(_only(return_q, Order.customer_id, customer_ids)):
            out[cid].returns.append(at)
        review_q = select(Review.customer_id, Review.created_at, Review.text, Review.language, Review.rating)
        for cid, at, text, language, rating in s.execute(_only(review_q, Review.customer_id, customer_ids)):
            out[cid].reviews.append(TextFact(at, text, language, rating))
        message_q = (select(Conversation.customer_id, DialogueEvent.at, DialogueEvent.payload, Conversation.language)
                     .join(Conversation, Conversation.id == DialogueEvent.conversation_id)
                     .where(DialogueEvent.type == "user_uttered", Conversation.customer_id.is_not(None)))
        for cid, at, payload, language in s.execute(_only(message_q, Conversation.customer_id, customer_ids)):
            text = (payload or {}).get("text")
            if cid in out and isinstance(text, str) and text.strip():
                out[cid].messages.append(TextFact(at, text, language))
        browse_q = select(BrowseEvent.customer_id, BrowseEvent.kind, BrowseEvent.at)
        for cid, kind, at in s.execute(_only(browse_q, BrowseEvent.customer_id, customer_ids)):
            (out[cid].views if kind == "view" else out[cid].carts).append(at)
    for h in out.values():
        if until is not None:
            _cut(h, until)
        h.sort()
    return out


def _cut(h: CustomerHistory, until: datetime) -> None:
    h.orders = [o for o in h.orders if o.at < until]
    h.returns = [t for t in h.returns if t < until]
    h.reviews = [r for r in h.reviews if r.at < until]
    h.messages = [m for m in h.messages if m.at < until]
    h.views = [t for t in h.views if t < until]
    h.carts = [t for t in h.carts if t < until]
