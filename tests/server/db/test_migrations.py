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
    assert current_revision(db_url) == "0005"


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
