"""Order wishes: the table `order_wishes`, what a customer asked the store to do with an order before it ships (a
courier, a courier to avoid, a ship-later date, shipping with another order or in separate parcels) and their
cancellations, as recorded by the order-change tool after the customer confirmed.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("courier", "avoid_courier", "ship_after", "cancel", "ship_together", "ship_separately")
STATUSES = ("active", "replaced", "done")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "order_wishes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("value", sa.String(40), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("conversation_id", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_one_of("kind", KINDS), name="ck_order_wishes_kind"),
        sa.CheckConstraint(_one_of("status", STATUSES), name="ck_order_wishes_status"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_order_wishes_order_id_orders"),
        sa.PrimaryKeyConstraint("id", name="pk_order_wishes"),
    )
    op.create_index("ix_order_wishes_order_id", "order_wishes", ["order_id"])


def downgrade() -> None:
    op.drop_index("ix_order_wishes_order_id", table_name="order_wishes")
    op.drop_table("order_wishes")
