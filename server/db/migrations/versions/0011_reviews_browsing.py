"""Reviews and browsing: the tables `reviews` (a customer's rating and words on a product they bought) and
`browse_events` (product views and add-to-carts on the store's site), which customer profiles and churn risk read.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BROWSE_KINDS = ("view", "cart")


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(16), nullable=False),
        sa.Column("order_id", sa.String(16), nullable=False),
        sa.Column("product_id", sa.String(16), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_reviews_rating"),
        sa.CheckConstraint("language IN ('zh', 'en')", name="ck_reviews_language"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name="fk_reviews_customer_id_customers"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_reviews_order_id_orders"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name="fk_reviews_product_id_products"),
        sa.PrimaryKeyConstraint("id", name="pk_reviews"),
    )
    op.create_index("ix_reviews_customer_id_created_at", "reviews", ["customer_id", "created_at"])
    op.create_table(
        "browse_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(16), nullable=False),
        sa.Column("product_id", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('view', 'cart')", name="ck_browse_events_kind"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name="fk_browse_events_customer_id_customers"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name="fk_browse_events_product_id_products"),
        sa.PrimaryKeyConstraint("id", name="pk_browse_events"),
    )
    op.create_index("ix_browse_events_customer_id_at", "browse_events", ["customer_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_browse_events_customer_id_at", table_name="browse_events")
    op.drop_table("browse_events")
    op.drop_index("ix_reviews_customer_id_created_at", table_name="reviews")
    op.drop_table("reviews")
