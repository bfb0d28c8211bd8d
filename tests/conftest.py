"""Shared fixtures: database URLs for SQLite and PostgreSQL, and a small session-wide demo store.

PostgreSQL tests use a fresh database per test on the server in KEFU_TEST_PG_URL (default: local
trust auth). They skip when it is unreachable, unless KEFU_REQUIRE_PG=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEMO_AS_OF = date(2026, 11, 20)


def _pg_admin_url() -> str:
    return os.environ.get("KEFU_TEST_PG_URL", DEFAULT_PG_URL)


def _pg_conninfo(url: str) -> str:
    """psycopg wants a libpq URL: drop any SQLAlchemy driver suffix."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+')[0]}{sep}{rest}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'kefu.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty database `kefu_test_<random>` on the test server, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = _pg_admin_url()
    try:
        conn = psycopg.connect(_pg_conninfo(admin), autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        message = f"PostgreSQL not reachable at {admin}: {exc}"
        if os.environ.get("KEFU_REQUIRE_PG") == "1":
            pytest.fail(message)
        pytest.skip(message)
    name = f"kefu_test_{uuid.uuid4().hex[:12]}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        try:
            url = make_url(admin).set(drivername="postgresql+psycopg", database=name)
            yield url.render_as_string(hide_password=False)
        finally:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """The same test on SQLite and on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture(scope="session")
def demo_as_of() -> date:
    return DEMO_AS_OF


@pytest.fixture(scope="session")
def demo_store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small demo store (SQLite, seed 7, as of 2026-11-20; 120 customers, 1,200 orders). Treat as read-only."""
    from server.demo_data import build_demo_store

    url = f"sqlite:///{tmp_path_factory.mktemp('demo-store') / 'kefu.db'}"
    build_demo_store(url, seed=7, as_of=DEMO_AS_OF, customers=120, orders=1200)
    return url
