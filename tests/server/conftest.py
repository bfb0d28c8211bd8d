"""Fixtures of the operator-console tests: a small SQLite demo store, one account per role, and an in-process
client over the wired runtime (a module may define its own fixture of the same name instead)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever
from tests.server.console_support import register_accounts, small_store
from tests.services import TEST_IDENTITY_SECRET


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return small_store(tmp_path_factory, "console", customers=40, orders=300)


@pytest.fixture(scope="module")
def accounts(store_url: str) -> dict[str, str]:
    """role → username; all share PASSWORD."""
    names = {"operator": "Wang Fang", "operator2": "Li Lei", "supervisor": "Zhao Min", "marketer": "Chen Jie"}
    return register_accounts(store_url, names)


@pytest.fixture
def client(store_url: str, accounts: dict[str, str]) -> Iterator[TestClient]:
    settings = Settings(database_url=store_url, identity_secret=TEST_IDENTITY_SECRET)
    runtime = build_runtime(settings, retriever=KeywordRetriever(), warm=False)
    with TestClient(create_app(settings, runtime=runtime)) as c:
        yield c
    runtime.close()
