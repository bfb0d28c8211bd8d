"""`returns.request_key`: the idempotency key of the chat turn that filed a return.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

A turn records its call with side effects before running it, with a key; when the turn fails after the return was
filed and the customer's retry completes the recorded call, the same key finds the return already filed instead of
filing it twice. Unique where set (NULL for returns filed elsewhere, and for those before this revision).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_returns_request_key"


def upgrade() -> None:
    with op.batch_alter_table("returns", recreate="never") as batch:
        batch.add_column(sa.Column("request_key", sa.String(96), nullable=True))
    op.create_index(INDEX, "returns", ["request_key"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="returns")
    with op.batch_alter_table("returns") as batch:
        batch.drop_column("request_key")
