"""Account identifiers: the table `account_identifiers`, the devices, phones, shipping addresses and payment tokens
seen on customers' accounts, with each value's normalised key; the identity graph (issue 15) links accounts that
share a key, and the claim of a new-customer coupon counts the linked accounts.

Chained after 0010 for now (0011 is another branch's); the integrator renumbers the chain.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("device", "phone", "address", "payment")
SOURCES = ("sign_in", "session", "order", "profile", "payment")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "account_identifiers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("value", sa.String(300), nullable=False),
        sa.Column("value_key", sa.String(300), nullable=True),
        sa.Column("source", sa.String(12), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_one_of("kind", KINDS), name="ck_account_identifiers_kind"),
        sa.CheckConstraint(_one_of("source", SOURCES), name="ck_account_identifiers_source"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name="fk_account_identifiers_customer_id_customers"),
        sa.PrimaryKeyConstraint("id", name="pk_account_identifiers"),
        sa.UniqueConstraint("customer_id", "kind", "value", name="uq_account_identifiers_customer_id_kind_value"),
    )
    op.create_index("ix_account_identifiers_customer_id", "account_identifiers", ["customer_id"])
    op.create_index("ix_account_identifiers_kind_value_key", "account_identifiers", ["kind", "value_key"])


def downgrade() -> None:
    op.drop_index("ix_account_identifiers_kind_value_key", table_name="account_identifiers")
    op.drop_index("ix_account_identifiers_customer_id", table_name="account_identifiers")
    op.drop_table("account_identifiers")
