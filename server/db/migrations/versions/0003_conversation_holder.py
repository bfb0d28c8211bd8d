"""Who holds a conversation: `conversations.held_by`, the atomic claim behind an operator's takeover.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

Two operators on two workers may press "take over" at the same moment; the claim is a conditional
UPDATE of this column (`… WHERE held_by IS NULL`), so exactly one of them wins. Conversations that an
operator already holds are backfilled from their event log (the last `operator_joined` not followed by
a `handed_back`). Written out in full (not imported from the models), like 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("held_by", sa.String(64), nullable=True))

    conversations = sa.table(
        "conversations", sa.column("id", sa.String), sa.column("handoff", sa.String), sa.column("held_by", sa.String)
    )
    events = sa.table(
        "dialogue_events",
        sa.column("conversation_id", sa.String),
        sa.column("seq", sa.Integer),
        sa.column("type", sa.String),
        sa.column("payload", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
    )
    bind = op.get_bind()
    held = bind.execute(sa.select(conversations.c.id).where(conversations.c.handoff == "operator")).scalars().all()
    for conversation_id in held:
        last = bind.execute(
            sa.select(events.c.type, events.c.payload)
            .where(events.c.conversation_id == conversation_id, events.c.type.in_(("operator_joined", "handed_back")))
            .order_by(events.c.seq.desc())
            .limit(1)
        ).first()
        if last is not None and last.type == "operator_joined" and (last.payload or {}).get("operator"):
            bind.execute(
                sa.update(conversations)
                .where(conversations.c.id == conversation_id)
                .values(held_by=last.payload["operator"])
            )


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("held_by")
