"""Fixtures for data-layer tests: a migrated database (SQLite and PostgreSQL) and its sessions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from server.db.engine import make_engine, make_session_factory
from server.db.migrate import upgrade
from tests.server.db.seed import seed_store


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    seed_store(sessions)
    return sessions
