"""`CustomerRepository`: customer lookups and the demo customer picker."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from server.db.models import Customer, Order
from server.db.rows import to_row


@dataclass(frozen=True, slots=True)
class CustomerRow:
    id: str
    name: str
    language: str
    email: str
    phone: str
    address: str
    tier: str
    created_at: datetime


class CustomerRepository:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def get(self, customer_id: str) -> CustomerRow | None:
        with self._sessions() as session:
            c = session.get(Customer, customer_id)
            return None if c is None else to_row(CustomerRow, c)

    def get_many(self, customer_ids: Sequence[str], *, per_query: int = 500) -> dict[str, CustomerRow]:
        """The customers found among `customer_ids`, by id, in one query per `per_query` ids."""
        ids = list(dict.fromkeys(customer_ids))
        out: dict[str, CustomerRow] = {}
        with self._sessions() as session:
            for start in range(0, len(ids), per_query):
                for c in session.scalars(select(Customer).where(Customer.id.in_(ids[start : start + per_query]))):
                    out[c.id] = to_row(CustomerRow, c)
        return out

    def list_demo(self, limit: int = 20, *, orders_per_customer: int = 3) -> list[dict[str, Any]]:
        """Customers to impersonate in the demo, showcase customers (lowest ids) first, each with
        their newest orders: `{"customer_id","name","language","orders":[{"order_id","status","placed_at"}]}`.
        """
        with self._sessions() as session:
            customers = session.scalars(select(Customer).order_by(Customer.id).limit(max(1, limit))).all()
            result = []
            for c in customers:
                orders = session.execute(
                    select(Order.id, Order.status, Order.placed_at)
                    .where(Order.customer_id == c.id)
                    .order_by(Order.placed_at.desc(), Order.id.desc())
                    .limit(orders_per_customer)
                ).all()
                result.append(
                    {
                        "customer_id": c.id,
                        "name": c.name,
                        "language": c.language,
                        "orders": [
                            {"order_id": o.id, "status": o.status, "placed_at": o.placed_at.isoformat()} for o in orders
                        ],
                    }
                )
            return result
