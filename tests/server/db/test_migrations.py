"""The Alembic migration must build exactly the schema the models describe, on both engines."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from server.db.engine import make_engine
from server.db.migrate import current_revision, upgrade
from server.db.models import Base

pytestmark = pytest.mark.integration


def test_migration_matches_models(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
            assert compare_metadata(ctx, Base.metadata) == []
            insp = inspect(conn)
            tables = set(insp.get_table_names()) - {"alembic_version"}
            assert tables == set(Base.metadata.tables)
            for name, table in Base.metadata.tables.items():
                assert {c["name"] for c in insp.get_columns(name)} == set(table.columns.keys()), name
    finally:
        engine.dispose()


def test_upgrade_is_idempotent_and_records_head(db_url: str) -> None:
    upgrade(db_url)
    upgrade(db_url)
    assert current_revision(db_url) == "0011"


def test_sqlite_parent_directory_is_created(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'kefu.db'}"
    upgrade(url)
    assert (tmp_path / "nested" / "dir" / "kefu.db").exists()


def test_0004_keeps_accounts_and_sessions_and_goes_back(db_url: str) -> None:
    """Upgrading a database that has accounts, sessions and notes (foreign keys to `operators`) keeps them all;
    the lock-out columns go, `disabled_at` comes, and the downgrade restores the old shape."""
    from alembic import command
    from sqlalchemy import text

    from server.db.migrate import alembic_config

    upgrade(db_url, "0003")
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO operators (username, display_name, role, password_hash, failed_logins, "
                              "locked_until, created_at) VALUES ('amy', 'Amy', 'operator', 'h', 3, NULL, "
                              "'2026-12-01 09:00:00+00')"))
            conn.execute(text("INSERT INTO operator_sessions VALUES ('t1', 1, '2026-12-01 09:00:00+00', "
                              "'2099-01-01 00:00:00+00')"))
        upgrade(db_url)
        with engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("operators")}
            assert "disabled_at" in columns and not columns & {"failed_logins", "locked_until"}
            assert conn.execute(text("SELECT username, disabled_at FROM operators")).all() == [("amy", None)]
            assert conn.execute(text("SELECT token_hash, operator_id FROM operator_sessions")).all() == [("t1", 1)]
        with engine.begin() as conn:
            cfg = alembic_config(db_url)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0003")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT username, failed_logins FROM operators")).all() == [("amy", 0)]
            assert conn.execute(text("SELECT token_hash FROM operator_sessions")).all() == [("t1",)]
    finally:
        engine.dispose()


def test_0006_keeps_campaigns_and_coupons_valid_and_goes_back(db_url: str) -> None:
    """Campaigns and coupons written before 0006 come out valid: status from `active` and the window, member
    tiers moved from the rules to `segments`, `spent` from the coupons issued, coupons once per customer; the
    downgrade puts the tiers back."""
    import json

    from alembic import command
    from sqlalchemy import text

    from server.db import models
    from server.db.engine import make_session_factory
    from server.db.migrate import alembic_config
    from tools.marketing.campaigns import Campaign

    upgrade(db_url, "0005")
    engine = make_engine(db_url)
    rows = [("member_day", "member_day", '{"type": "percent_off", "percent_off": 5, "day_of_month": 18, '
             '"tiers": ["gold", "platinum"]}', True, "2099-01-01"),
            ("new_customer", "new_customer", '{"type": "coupon", "discount": 20, "min_spend": 199}', True,
             "2099-01-01"),
            ("double11", "festival", '{"type": "threshold", "tiers": [{"min_spend": 300, "discount": 30}]}', False,
             "2020-11-11")]
    try:
        with engine.begin() as conn:
            for cid, kind, rules, active, ends in rows:
                conn.execute(text("INSERT INTO campaigns (id, name_zh, name_en, kind, starts_at, ends_at, rules, "
                                  "active) VALUES (:id, :id, :id, :kind, '2020-01-01 00:00:00+00', :ends, :rules, "
                                  ":active)"), {"id": cid, "kind": kind, "rules": rules, "active": active,
                                                "ends": f"{ends} 00:00:00+00"})
            for code, campaign in (("K1", "double11"), ("K2", "double11"), ("K3", "new_customer")):
                conn.execute(text("INSERT INTO coupons (code, campaign_id, discount, min_spend, expires_at, status) "
                                  "VALUES (:code, :c, 30, 300, '2099-01-01 00:00:00+00', 'issued')"),
                             {"code": code, "c": campaign})
        upgrade(db_url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT code, issued_at, claim_key FROM coupons ORDER BY code")).all() == [
                ("K1", None, None), ("K2", None, None), ("K3", None, None)]
        with make_session_factory(engine)() as session:
            got = {c.id: Campaign.model_validate({col.key: getattr(c, col.key) for col in models.Campaign.__table__.c})
                   for c in session.query(models.Campaign)}
        member, new, d11 = (got[k] for k in ("member_day", "new_customer", "double11"))
        assert member.segments == ["gold", "platinum"] and member.rules.tiers == [] and member.status == "active"
        assert new.segments == ["new_customer"] and new.per_customer_limit == 1 and new.spent == 30
        assert d11.status == "ended" and d11.spent == 60 and d11.budget is None and d11.per_customer_limit is None
        with engine.begin() as conn:
            cfg = alembic_config(db_url)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0005")
        with engine.connect() as conn:
            assert "campaign_changes" not in inspect(conn).get_table_names()
            rules = conn.execute(text("SELECT rules FROM campaigns WHERE id = 'member_day'")).scalar_one()
            rules = json.loads(rules) if isinstance(rules, str) else rules
            assert rules["tiers"] == ["gold", "platinum"]
    finally:
        engine.dispose()


def test_0007_keeps_the_audit_trail_takes_the_new_actions_and_goes_back(db_url: str) -> None:
    """The audit rows written before 0007 stay; afterwards the system's threshold moves and the marketer's
    answers are accepted and unknown actions still refused; experiments come and go with the revision."""
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from server.db.migrate import alembic_config

    upgrade(db_url, "0006")
    engine = make_engine(db_url)
    audit = ("INSERT INTO campaign_changes (campaign_id, at, actor, actor_role, action, changes, note) VALUES "
             "('c618', '2026-06-01 00:00:00+00', :actor, :role, :action, '{}', '')")
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO campaigns (id, name_zh, name_en, kind, starts_at, ends_at, rules, active) "
                              "VALUES ('c618', '618', '618', 'festival', '2026-06-01 00:00:00+00', "
                              "'2026-06-20 00:00:00+00', '{\"type\": \"percent_off\", \"percent_off\": 5}', true)"))
            conn.execute(text(audit), {"actor": "mia", "role": "marketer", "action": "create"})
        upgrade(db_url)
        with engine.begin() as conn:
            conn.execute(text(audit), {"actor": "system", "role": "system", "action": "threshold"})
            conn.execute(text(audit), {"actor": "mia", "role": "marketer", "action": "revert"})
            assert conn.execute(text("SELECT actor, action FROM campaign_changes ORDER BY id")).all() == [
                ("mia", "create"), ("system", "threshold"), ("mia", "revert")]
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(audit), {"actor": "mia", "role": "marketer", "action": "delete"})
        with engine.connect() as conn:
            assert {"experiments", "experiment_assignments"} <= set(inspect(conn).get_table_names())
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM campaign_changes WHERE action IN ('threshold', 'revert')"))
            cfg = alembic_config(db_url)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0006")
        with engine.connect() as conn:
            assert "experiments" not in inspect(conn).get_table_names()
            assert conn.execute(text("SELECT actor, action FROM campaign_changes")).all() == [("mia", "create")]
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(audit), {"actor": "system", "role": "system", "action": "threshold"})
    finally:
        engine.dispose()


def test_0008_orders_keep_their_totals_take_a_campaign_and_coupon_issues_come_and_go(db_url: str) -> None:
    """Orders placed before 0008 have no campaign and no campaign discount; afterwards an order records the
    campaign checkout applied, and a coupon the store issued gets its issue record; the downgrade goes back."""
    from alembic import command
    from sqlalchemy import text

    from server.db.migrate import alembic_config

    upgrade(db_url, "0007")
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO customers (id, name, language, email, phone, address, tier, created_at) "
                              "VALUES ('C1', 'Li', 'zh', 'l@x.cn', '1', 'a', 'regular', '2026-01-01 00:00:00+00')"))
            conn.execute(text("INSERT INTO orders (id, customer_id, status, placed_at, total, currency, "
                              "shipping_address) VALUES ('KF1', 'C1', 'paid', '2026-06-02 00:00:00+00', 250, 'CNY', "
                              "'a')"))
        upgrade(db_url)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT campaign_id, campaign_discount, total FROM orders")).one()[:2] == (
                None, 0)
            conn.execute(text("UPDATE orders SET campaign_id = 'c618', campaign_discount = 50 WHERE id = 'KF1'"))
            conn.execute(text("INSERT INTO coupons (code, customer_id, discount, min_spend, expires_at, status) "
                              "VALUES ('KFX', 'C1', 20, 199, '2026-07-01 00:00:00+00', 'issued')"))
            conn.execute(text("INSERT INTO coupon_issues (code, at, actor, actor_role, reason, note) VALUES "
                              "('KFX', '2026-06-01 00:00:00+00', 'mia', 'marketer', 'compensation', '')"))
            cfg = alembic_config(db_url)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0007")
        with engine.connect() as conn:
            assert "coupon_issues" not in inspect(conn).get_table_names()
            assert conn.execute(text("SELECT id, total FROM orders")).one()[0] == "KF1"
    finally:
        engine.dispose()
