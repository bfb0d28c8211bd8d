"""The store's orders as baskets for association-rule mining and co-purchase signals: per order, the distinct
products bought, or the distinct categories of those products (a category rule — cases go with screen
protectors — holds for products too new to have rules of their own). Cancelled orders are left out: nobody kept
what they held."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from server.db.models import Order, OrderLine, Product

BasketKey = Literal["product", "category"]


def order_baskets(session_factory: sessionmaker[Session], *, by: BasketKey = "product") -> list[list[str]]:
    """Distinct product ids (or category keys) per order, orders in id order, items in line order."""
    item = OrderLine.product_id if by == "product" else Product.category_key
    stmt = (
        select(OrderLine.order_id, item)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(Order.status != "cancelled")
        .order_by(OrderLine.order_id, OrderLine.id)
    )
    baskets: list[list[str]] = []
    current: str | None = None
    with session_factory() as session:
        for order_id, key in session.execute(stmt):
            if order_id != current:
                baskets.append([])
                current = order_id
            if key not in baskets[-1]:
                baskets[-1].append(key)
    return baskets


def product_categories(session_factory: sessionmaker[Session]) -> dict[str, str]:
    """Product id → category key, the whole catalogue."""
    with session_factory() as session:
        return dict(session.execute(select(Product.id, Product.category_key)).tuples().all())
