"""Campaign management: status, budget, per-customer limit and segments on campaigns; coupons claimed in chat
(`issued_at`, the idempotency `claim_key`); the audit table `campaign_changes`.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

Existing rows stay valid: every campaign gets status `active` (or `ended` when it was switched off and its window
is over), `spent` = the face value of the coupons issued under it, no budget (no cap). Membership tiers that
member-day rules kept in `rules.tiers` (`["gold", "platinum"]`, strings where threshold tiers are objects) move
to `segments`; a campaign of kind `new_customer` gets the segment `new_customer`; coupon campaigns are once per
customer. Native `ALTER TABLE … ADD COLUMN` only, never a batch rebuild (coupons reference campaigns, so SQLite
could not drop and recreate it); on SQLite the status CHECK rides on the column itself. Written out in full.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS_CHECK = "status IN ('active', 'paused', 'ended')"
ACTION_CHECK = "action IN ('create', 'update', 'pause', 'resume', 'end')"
TIERS = ("regular", "silver", "gold", "platinum")
CAMPAIGN_COLUMNS = ("status", "budget", "spent", "per_customer_limit", "segments")


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _campaigns() -> sa.TableClause:
    return sa.table("campaigns", sa.column("id", sa.String), sa.column("kind", sa.String),
                    sa.column("ends_at", sa.DateTime(timezone=True)), sa.column("rules", _json()),
                    sa.column("active", sa.Boolean), sa.column("status", sa.String),
                    sa.column("spent", sa.Numeric(12, 2)), sa.column("per_customer_limit", sa.Integer),
                    sa.column("segments", _json()))


def upgrade() -> None:
    if _sqlite():  # a column CHECK is the only one SQLite can add without rebuilding the table
        op.execute(f"ALTER TABLE campaigns ADD COLUMN status VARCHAR(16) DEFAULT 'active' NOT NULL "
                   f"CONSTRAINT ck_campaigns_status CHECK ({STATUS_CHECK})")
    else:
        op.add_column("campaigns", sa.Column("status", sa.String(16), server_default="active", nullable=False))
        op.create_check_constraint(op.f("ck_campaigns_status"), "campaigns", STATUS_CHECK)
    with op.batch_alter_table("campaigns", recreate="never") as batch:
        batch.add_column(sa.Column("budget", sa.Numeric(12, 2), nullable=True))
        batch.add_column(sa.Column("spent", sa.Numeric(12, 2), server_default="0", nullable=False))
        batch.add_column(sa.Column("per_customer_limit", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("segments", _json(), server_default=sa.text("'[]'"), nullable=False))
    with op.batch_alter_table("coupons", recreate="never") as batch:
        batch.add_column(sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("claim_key", sa.String(80), nullable=True))
    op.create_index("ux_coupons_claim_key", "coupons", ["claim_key"], unique=True)
    op.create_index("ix_coupons_campaign_id_customer_id", "coupons", ["campaign_id", "customer_id"])
    op.create_table(
        "campaign_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("actor_role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("changes", _json(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint(ACTION_CHECK, name=op.f("ck_campaign_changes_action")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"],
                                name=op.f("fk_campaign_changes_campaign_id_campaigns")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_changes")),
    )
    op.create_index(op.f("ix_campaign_changes_campaign_id"), "campaign_changes", ["campaign_id"])
    _backfill()


def _backfill() -> None:
    bind = op.get_bind()
    campaigns = _campaigns()
    coupons = sa.table("coupons", sa.column("campaign_id", sa.String), sa.column("discount", sa.Numeric(10, 2)))
    spent = dict(bind.execute(sa.select(coupons.c.campaign_id, sa.func.sum(coupons.c.discount))
                              .where(coupons.c.campaign_id.is_not(None)).group_by(coupons.c.campaign_id)).all())
    now = datetime.now(UTC)
    for row in bind.execute(sa.select(campaigns.c.id, campaigns.c.kind, campaigns.c.ends_at, campaigns.c.rules,
                                      campaigns.c.active)).all():
        rules = dict(row.rules or {})
        segments: list[str] = []
        tiers = rules.get("tiers")
        if isinstance(tiers, list) and tiers and all(isinstance(t, str) for t in tiers):
            segments = [t for t in tiers if t in TIERS]
            rules.pop("tiers")
        if row.kind == "new_customer":
            segments.append("new_customer")
        ends_at = row.ends_at if row.ends_at.tzinfo else row.ends_at.replace(tzinfo=UTC)
        bind.execute(sa.update(campaigns).where(campaigns.c.id == row.id).values(
            rules=rules, segments=segments, spent=spent.get(row.id) or Decimal("0"),
            status="ended" if not row.active and ends_at < now else "active",
            per_customer_limit=1 if rules.get("type") == "coupon" else None))


def _can_drop_columns() -> bool:
    return not _sqlite() or sqlite3.sqlite_version_info >= (3, 35, 0)


def downgrade() -> None:
    bind = op.get_bind()
    campaigns = _campaigns()
    for row in bind.execute(sa.select(campaigns.c.id, campaigns.c.rules, campaigns.c.segments)).all():
        tiers = [s for s in row.segments or [] if s in TIERS]
        rules = dict(row.rules or {})
        if tiers and rules.get("type") == "percent_off":
            bind.execute(sa.update(campaigns).where(campaigns.c.id == row.id).values(rules={**rules, "tiers": tiers}))
    op.drop_index(op.f("ix_campaign_changes_campaign_id"), table_name="campaign_changes")
    op.drop_table("campaign_changes")
    op.drop_index("ix_coupons_campaign_id_customer_id", table_name="coupons")
    op.drop_index("ux_coupons_claim_key", table_name="coupons")
    if not _can_drop_columns():  # old SQLite: the new columns stay, unused (all nullable or defaulted)
        return
    with op.batch_alter_table("coupons", recreate="never") as batch:
        batch.drop_column("claim_key")
        batch.drop_column("issued_at")
    if not _sqlite():
        op.drop_constraint(op.f("ck_campaigns_status"), "campaigns", type_="check")
    with op.batch_alter_table("campaigns", recreate="never") as batch:
        for column in reversed(CAMPAIGN_COLUMNS):
            batch.drop_column(column)
