"""Operator accounts can be disabled (`operators.disabled_at`); the account-level lock-out goes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

`disabled_at` is set by `kefu operator disable` (NULL: active). The lock-out columns `failed_logins` and
`locked_until` are dropped: a lock on the account let a stranger lock an operator out by guessing, so failed
sign-ins are now counted per (client address, username) in the rate-limit store instead
(`server.operators.throttle`).

Native `ALTER TABLE … ADD/DROP COLUMN`, never a batch rebuild: rebuilding `operators` on SQLite means dropping
it, which foreign keys from sessions and notes forbid. SQLite before 3.35 cannot drop a column; there the two
columns stay, unused (`failed_logins` has a default, `locked_until` is nullable). Written out in full, like 0001.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOCK_OUT_COLUMNS = ("failed_logins", "locked_until")


def _columns() -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns("operators")}


def _can_drop_columns() -> bool:
    return op.get_bind().dialect.name != "sqlite" or sqlite3.sqlite_version_info >= (3, 35, 0)


def upgrade() -> None:
    with op.batch_alter_table("operators", recreate="never") as batch:
        batch.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
        if _can_drop_columns():
            for column in LOCK_OUT_COLUMNS:
                batch.drop_column(column)


def downgrade() -> None:
    present = _columns()
    with op.batch_alter_table("operators", recreate="never") as batch:
        if "failed_logins" not in present:
            batch.add_column(sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
        if "locked_until" not in present:
            batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch.drop_column("disabled_at")
