"""Initial schema: catalog, customers, orders, shipments, returns, marketing, conversation log.

Revision ID: 0001
Revises:
Create Date: 2026-11-28

Written out in full (not imported from the models) so later model changes need a new revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHIPMENT_STATUSES = (
    "'label_created', 'picked_up', 'in_transit', 'out_for_delivery', 'delivered', 'exception', 'returned'"
)


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts() -> sa.types.TypeEngine:
    return sa.DateTime(timezone=True)


def _money() -> sa.types.TypeEngine:
    return sa.Numeric(precision=10, scale=2)


def _fk(table: str, column: str, ref: str) -> sa.ForeignKeyConstraint:
    ref_table = ref.split(".")[0]
    return sa.ForeignKeyConstraint([column], [ref], name=op.f(f"fk_{table}_{column}_{ref_table}"))


def _check(table: str, name: str, sql: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(sql, name=op.f(f"ck_{table}_{name}"))


def _pk(table: str, column: str = "id") -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(column, name=op.f(f"pk_{table}"))


def _index(table: str, *columns: str, name: str | None = None, unique: bool = False) -> None:
    op.create_index(name or op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=unique)


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name_zh", sa.String(120), nullable=False),
        sa.Column("name_en", sa.String(160), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("starts_at", _ts(), nullable=False),
        sa.Column("ends_at", _ts(), nullable=False),
        sa.Column("rules", _json(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _pk("campaigns"),
    )
    op.create_table(
        "categories",
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("name_zh", sa.String(60), nullable=False),
        sa.Column("name_en", sa.String(80), nullable=False),
        sa.Column("keywords_zh", _json(), nullable=False),
        sa.Column("keywords_en", _json(), nullable=False),
        sa.Column("returnable", sa.Boolean(), nullable=False),
        sa.Column("parent_key", sa.String(40), nullable=True),
        _fk("categories", "parent_key", "categories.key"),
        _pk("categories", "key"),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("email", sa.String(120), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        _check("customers", "language", "language IN ('zh', 'en')"),
        _check("customers", "tier", "tier IN ('regular', 'silver', 'gold', 'platinum')"),
        _pk("customers"),
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("customer_id", sa.String(16), nullable=True),
        sa.Column("language", sa.String(2), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("last_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("handoff", sa.String(16), server_default="bot", nullable=False),
        _check("conversations", "channel", "channel IN ('web', 'voice', 'api')"),
        _check("conversations", "handoff", "handoff IN ('bot', 'queued', 'operator')"),
        _fk("conversations", "customer_id", "customers.id"),
        _pk("conversations"),
    )
    _index("conversations", "customer_id")
    op.create_table(
        "orders",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("customer_id", sa.String(16), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("placed_at", _ts(), nullable=False),
        sa.Column("paid_at", _ts(), nullable=True),
        sa.Column("total", _money(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("shipping_address", sa.String(300), nullable=False),
        _check("orders", "status", "status IN ('pending_payment', 'paid', 'shipped', 'delivered', 'cancelled')"),
        _fk("orders", "customer_id", "customers.id"),
        _pk("orders"),
    )
    _index("orders", "customer_id", "placed_at", name="ix_orders_customer_id_placed_at")
    op.create_table(
        "products",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("brand", sa.String(80), nullable=False),
        sa.Column("category_key", sa.String(40), nullable=False),
        sa.Column("price", _money(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("popularity", sa.Integer(), nullable=False),
        sa.Column("attributes", _json(), nullable=False),
        sa.Column("description_zh", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        _fk("products", "category_key", "categories.key"),
        _pk("products"),
    )
    _index("products", "category_key")
    op.create_table(
        "coupons",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("campaign_id", sa.String(32), nullable=True),
        sa.Column("customer_id", sa.String(16), nullable=True),
        sa.Column("discount", _money(), nullable=False),
        sa.Column("min_spend", _money(), nullable=False),
        sa.Column("expires_at", _ts(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("used_order_id", sa.String(16), nullable=True),
        _check("coupons", "status", "status IN ('issued', 'used', 'expired')"),
        _fk("coupons", "campaign_id", "campaigns.id"),
        _fk("coupons", "customer_id", "customers.id"),
        _fk("coupons", "used_order_id", "orders.id"),
        _pk("coupons", "code"),
    )
    _index("coupons", "customer_id")
    op.create_table(
        "dialogue_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(32), nullable=False),
        sa.Column("conversation_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("at", _ts(), nullable=False),
        _fk("dialogue_events", "conversation_id", "conversations.id"),
        _pk("dialogue_events"),
        sa.UniqueConstraint("event_id", name=op.f("uq_dialogue_events_event_id")),
    )
    _index("dialogue_events", "conversation_id", "seq", name="ux_dialogue_events_conversation_id_seq", unique=True)
    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(16), nullable=False),
        sa.Column("product_id", sa.String(16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", _money(), nullable=False),
        _fk("order_lines", "order_id", "orders.id"),
        _fk("order_lines", "product_id", "products.id"),
        _pk("order_lines"),
    )
    _index("order_lines", "order_id")
    _index("order_lines", "product_id")
    op.create_table(
        "returns",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("order_id", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("refund_amount", _money(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        _check("returns", "kind", "kind IN ('no_reason', 'quality')"),
        _check("returns", "status", "status IN ('requested', 'approved', 'received', 'refunded', 'rejected')"),
        _fk("returns", "order_id", "orders.id"),
        _pk("returns"),
    )
    _index("returns", "order_id")
    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(16), nullable=False),
        sa.Column("carrier", sa.String(60), nullable=False),
        sa.Column("tracking_no", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("shipped_at", _ts(), nullable=True),
        sa.Column("delivered_at", _ts(), nullable=True),
        sa.Column("eta", _ts(), nullable=True),
        _check("shipments", "status", f"status IN ({SHIPMENT_STATUSES})"),
        _fk("shipments", "order_id", "orders.id"),
        _pk("shipments"),
        sa.UniqueConstraint("order_id", name=op.f("uq_shipments_order_id")),
    )
    op.create_table(
        "return_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("return_id", sa.String(16), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        _fk("return_lines", "order_line_id", "order_lines.id"),
        _fk("return_lines", "return_id", "returns.id"),
        _pk("return_lines"),
        sa.UniqueConstraint("return_id", "order_line_id", name=op.f("uq_return_lines_return_id_order_line_id")),
    )
    _index("return_lines", "order_line_id")
    op.create_table(
        "tracking_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("at", _ts(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("location_zh", sa.String(120), nullable=False),
        sa.Column("location_en", sa.String(160), nullable=False),
        sa.Column("description_zh", sa.String(300), nullable=False),
        sa.Column("description_en", sa.String(300), nullable=False),
        _check("tracking_events", "status", f"status IN ({SHIPMENT_STATUSES})"),
        _fk("tracking_events", "shipment_id", "shipments.id"),
        _pk("tracking_events"),
    )
    _index("tracking_events", "shipment_id")


def downgrade() -> None:
    for table in (
        "tracking_events",
        "return_lines",
        "shipments",
        "returns",
        "order_lines",
        "dialogue_events",
        "coupons",
        "products",
        "orders",
        "conversations",
        "customers",
        "categories",
        "campaigns",
    ):
        op.drop_table(table)
