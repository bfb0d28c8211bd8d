"""Read order baskets (product ids bought together) for co-purchase recommendations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from server.db.models import Order, OrderLine


def load_baskets(
    session_factory: sessionmaker[Session], *, since: datetime | None = None, include_cancelled: bool = False
) -> list[list[str]]:
    """Product ids per order (ordered by order id, then line id): the input of a co-purchase model."""
    stmt = select(OrderLine.order_id, OrderLine.product_id).join(Order).order_by(OrderLine.order_id, OrderLine.id)
    if since is not None:
        stmt = stmt.where(Order.placed_at >= since)
    if not include_cancelled:
        stmt = stmt.where(Order.status != "cancelled")
    baskets: list[list[str]] = []
    current: str | None = None
    with session_factory() as session:
        for order_id, product_id in session.execute(stmt):
            if order_id != current:
                baskets.append([])
                current = order_id
            baskets[-1].append(product_id)
    return baskets
