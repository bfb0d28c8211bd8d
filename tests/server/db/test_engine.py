"""Engine set-up: URL rewriting, SQLite pragmas, timezone-aware datetimes on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from server.db.engine import SQLITE_MMAP_BYTES, make_engine, normalize_url
from server.db.models import Customer

pytestmark = pytest.mark.integration


def test_postgres_urls_use_psycopg3() -> None:
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///var/kefu.db").drivername == "sqlite"


def test_sqlite_pragmas(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
            # pages read through a memory map, not a read(2) each time another connection's write invalidates them
            assert conn.execute(text("PRAGMA mmap_size")).scalar() == SQLITE_MMAP_BYTES
    finally:
        engine.dispose()


def test_datetimes_come_back_aware_utc(sessions) -> None:
    beijing = timezone(timedelta(hours=8))
    local = datetime(2026, 11, 20, 9, 30, 15, 123456, tzinfo=beijing)
    with sessions.begin() as s:
        s.add(Customer(id="C09999", name="n", language="zh", email="e", phone="p", address="a", created_at=local))
    with sessions() as s:
        got = s.get(Customer, "C09999").created_at
    assert got.tzinfo is not None and got.utcoffset() == timedelta(0)
    assert got == local
    assert got == datetime(2026, 11, 20, 1, 30, 15, 123456, tzinfo=UTC)
