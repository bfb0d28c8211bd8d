"""Orders record the automatic campaign that discounted them (`orders.campaign_id`, `orders.campaign_discount`);
coupons issued outside a conversation get an audit record (`coupon_issues`).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

A coupon names the order it was used on (`coupons.used_order_id`); a campaign applied at checkout with nothing to
claim (满减, percent off) left no trace, so its readout could not count what it discounted. The store's checkout
now writes which campaign applied and by how much (none: NULL and 0). `campaign_id` is a plain indexed column,
without a foreign key: SQLite cannot add one without rebuilding `orders`, which order lines, shipments, returns and
coupons reference (campaigns are never deleted, only ended). Existing orders get no campaign. Native
`ALTER TABLE … ADD COLUMN` only; on SQLite before 3.35 a downgrade leaves the two columns, unused.

A coupon claimed in chat is in the event log (`CouponIssued`: who asked, in their words); one the store issued
itself had no record of who issued it or why. `coupon_issues` holds that, one row per such coupon.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_orders_campaign_id"


def _can_drop_columns() -> bool:
    return op.get_bind().dialect.name != "sqlite" or sqlite3.sqlite_version_info >= (3, 35, 0)


def upgrade() -> None:
    with op.batch_alter_table("orders", recreate="never") as batch:
        batch.add_column(sa.Column("campaign_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("campaign_discount", sa.Numeric(10, 2), server_default="0", nullable=False))
    op.create_index(INDEX, "orders", ["campaign_id"])
    op.create_table(
        "coupon_issues",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("actor_role", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["code"], ["coupons.code"], name=op.f("fk_coupon_issues_code_coupons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_issues")),
        sa.UniqueConstraint("code", name=op.f("uq_coupon_issues_code")),
    )


def downgrade() -> None:
    op.drop_table("coupon_issues")
    op.drop_index(INDEX, table_name="orders")
    if not _can_drop_columns():
        return
    with op.batch_alter_table("orders", recreate="never") as batch:
        batch.drop_column("campaign_discount")
        batch.drop_column("campaign_id")
