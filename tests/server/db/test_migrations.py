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
    assert current_revision(db_url) == "0003"


def test_sqlite_parent_directory_is_created(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'kefu.db'}"
    upgrade(url)
    assert (tmp_path / "nested" / "dir" / "kefu.db").exists()
