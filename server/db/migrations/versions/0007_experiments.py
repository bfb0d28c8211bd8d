"""Experiments and dynamic thresholds: the tables `experiments` and `experiment_assignments`; the audit trail
of campaigns takes the system's threshold moves and the marketer's answers to them (`threshold`, `revert`,
`pin`, `unpin` in `campaign_changes.action`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

The dynamic threshold's bounds live in the campaign's `rules` (JSON), so campaigns need no new column. On SQLite
the action CHECK is changed by rebuilding `campaign_changes` (nothing references it; its rows are copied); on
PostgreSQL the constraint is dropped and created again. Downgrading fails while rows use the new actions.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_ACTIONS = ("create", "update", "pause", "resume", "end")
NEW_ACTIONS = (*OLD_ACTIONS, "threshold", "revert", "pin", "unpin")
CHECK_NAME = "ck_campaign_changes_action"


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _when() -> sa.types.TypeEngine:
    return sa.DateTime(timezone=True)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _changes_table(actions: tuple[str, ...]) -> sa.Table:
    """`campaign_changes` as 0006 made it, with the given actions allowed (what SQLite's rebuild copies)."""
    return sa.Table(
        "campaign_changes", sa.MetaData(),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.String(32), nullable=False),
        sa.Column("at", _when(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("actor_role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("changes", _json(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint(_one_of("action", actions), name=CHECK_NAME),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name="fk_campaign_changes_campaign_id_campaigns"),
        sa.PrimaryKeyConstraint("id", name="pk_campaign_changes"),
        sa.Index("ix_campaign_changes_campaign_id", "campaign_id"),
    )


def _allow(before: tuple[str, ...], after: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("campaign_changes", recreate="always", copy_from=_changes_table(before)) as batch:
            batch.drop_constraint(op.f(CHECK_NAME), type_="check")
            batch.create_check_constraint("action", _one_of("action", after))
    else:
        op.drop_constraint(op.f(CHECK_NAME), "campaign_changes", type_="check")
        op.create_check_constraint("action", "campaign_changes", _one_of("action", after))


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("campaign_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("arms", _json(), nullable=False),
        sa.Column("metric", sa.String(16), nullable=False),
        sa.Column("strata", _json(), nullable=False),
        sa.Column("min_detectable_effect", sa.Float(), nullable=True),
        sa.Column("starts_at", _when(), nullable=False),
        sa.Column("ends_at", _when(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("stopped_at", _when(), nullable=True),
        sa.Column("stopped_by", sa.String(64), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint(_one_of("status", ("running", "stopped")), name="ck_experiments_status"),
        sa.CheckConstraint(_one_of("metric", ("claimed", "redeemed", "revenue")), name="ck_experiments_metric"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name="fk_experiments_campaign_id_campaigns"),
        sa.PrimaryKeyConstraint("id", name="pk_experiments"),
    )
    op.create_index("ix_experiments_campaign_id", "experiments", ["campaign_id"])
    op.create_table(
        "experiment_assignments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("experiment_id", sa.String(32), nullable=False),
        sa.Column("customer_id", sa.String(16), nullable=False),
        sa.Column("arm", sa.String(32), nullable=False),
        sa.Column("stratum", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(32), nullable=True),
        sa.Column("assigned_at", _when(), nullable=False),
        sa.ForeignKeyConstraint(["experiment_id"], ["experiments.id"],
                                name="fk_experiment_assignments_experiment_id_experiments"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name="fk_experiment_assignments_customer_id_customers"),
        sa.PrimaryKeyConstraint("id", name="pk_experiment_assignments"),
        sa.UniqueConstraint("experiment_id", "customer_id", name="uq_experiment_assignments_experiment_id_customer_id"),
    )
    op.create_index("ix_experiment_assignments_experiment_id_stratum", "experiment_assignments",
                    ["experiment_id", "stratum"])
    _allow(OLD_ACTIONS, NEW_ACTIONS)


def downgrade() -> None:
    _allow(NEW_ACTIONS, OLD_ACTIONS)
    op.drop_index("ix_experiment_assignments_experiment_id_stratum", table_name="experiment_assignments")
    op.drop_table("experiment_assignments")
    op.drop_index("ix_experiments_campaign_id", table_name="experiments")
    op.drop_table("experiments")
