"""An index on `dialogue_events (type, at)`: the console's figures read the log by event type and time window.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06

The supervisor view and the marketing view (rule acceptance, click-through by source) select events of a few
types in a window of days; without this index each of them scans the whole log, which grows with every turn.
Written out in full, like 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_dialogue_events_type_at"


def upgrade() -> None:
    op.create_index(INDEX, "dialogue_events", ["type", "at"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="dialogue_events")
