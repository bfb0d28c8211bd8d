"""Operator console: operator accounts, their login sessions, private notes on conversations.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

Written out in full (not imported from the models), like 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts() -> sa.types.TypeEngine:
    return sa.DateTime(timezone=True)


def _fk(table: str, column: str, ref: str) -> sa.ForeignKeyConstraint:
    ref_table = ref.split(".")[0]
    return sa.ForeignKeyConstraint([column], [ref], name=op.f(f"fk_{table}_{column}_{ref_table}"))


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=False)


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(80), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", _ts(), nullable=True),
        sa.Column("created_at", _ts(), nullable=False),
        sa.CheckConstraint("role IN ('operator', 'supervisor', 'marketer')", name=op.f("ck_operators_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operators")),
        sa.UniqueConstraint("username", name=op.f("uq_operators_username")),
    )
    op.create_table(
        "operator_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _ts(), nullable=False),
        sa.Column("expires_at", _ts(), nullable=False),
        _fk("operator_sessions", "operator_id", "operators.id"),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_operator_sessions")),
    )
    _index("operator_sessions", "operator_id")
    _index("operator_sessions", "expires_at")
    op.create_table(
        "conversation_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(32), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", _ts(), nullable=False),
        _fk("conversation_notes", "conversation_id", "conversations.id"),
        _fk("conversation_notes", "operator_id", "operators.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_notes")),
    )
    _index("conversation_notes", "conversation_id")
    _index("conversation_notes", "operator_id")


def downgrade() -> None:
    for table in ("conversation_notes", "operator_sessions", "operators"):
        op.drop_table(table)
