"""Fixtures of the operator-console tests: a small SQLite demo store, one account per role, and an in-process
client over the wired runtime (a module may define its own fixture of the same name instead); a product search held
until the test lets it go (`slow_search`: a turn that takes as long as the test needs)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever
from tests.server.console_support import register_accounts, small_store
from tests.services import TEST_IDENTITY_SECRET
from tools.commerce.products import ProductSearchTool


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


@pytest.fixture
def slow_search(monkeypatch: pytest.MonkeyPatch) -> dict[str, threading.Event]:
    """Product search waits for `release` (set by the test) once it has signalled `entered`."""
    events = {"entered": threading.Event(), "release": threading.Event()}
    real = ProductSearchTool.__call__

    async def search(self: ProductSearchTool, args: Any, ctx: Any) -> Any:
        events["entered"].set()
        deadline = time.monotonic() + 10
        while not events["release"].is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        return await real(self, args, ctx)

    monkeypatch.setattr(ProductSearchTool, "__call__", search)
    return events
