"""Fixtures for data-layer tests: a migrated database (SQLite and PostgreSQL; a copy of one migrated once per run,
`migrated_db_url`) and its sessions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from server.db.engine import make_engine, make_session_factory
from tests.server.db.seed import seed_store


@pytest.fixture
def sessions(migrated_db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(migrated_db_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    seed_store(sessions)
    return sessions
