"""Fixtures of the attack suite: one small demo store (SQLite) with an account per role, and a factory of
in-process apps over it — with a chosen LLM (an adversary, `tests.fakes.adversary`) and retriever.

Rate limits are off in these apps (the limits have their own tests in test_rate_limits.py); the suite
floods on purpose and must see what the app does with the flood, not the 429.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever
from tests.server.console_support import login, register_accounts, small_store
from tests.services import TEST_IDENTITY_SECRET

ROLES = {"operator": "Wang Fang", "supervisor": "Zhao Min", "marketer": "Chen Jie"}


@pytest.fixture(scope="module")
def attack_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A demo store of 20 customers and 120 orders, one per test module (attacks may write to it)."""
    return small_store(tmp_path_factory, "attacks", customers=20, orders=120)


@pytest.fixture(scope="module")
def staff(attack_store: str) -> dict[str, str]:
    """role → username of a fresh account (password `tests.server.console_support.PASSWORD`)."""
    return register_accounts(attack_store, ROLES)


AppFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(attack_store: str) -> Iterator[AppFactory]:
    """`make_client(llm=…, retriever=…, **settings)`: a started TestClient over the attack store; closed after
    the test."""
    opened: list[tuple[TestClient, Any]] = []

    def make(*, llm: Any = None, retriever: Any = None, store_url: str | None = None, **overrides: Any) -> TestClient:
        # demo mode on (SQLite): its signed list is how the attacks learn real customers' ids and orders
        settings = Settings(database_url=store_url or attack_store, identity_secret=TEST_IDENTITY_SECRET,
                            rate_limits="off", **{"demo": True, **overrides})
        runtime = build_runtime(settings, retriever=retriever or KeywordRetriever(), llm=llm, warm=False)
        client = TestClient(create_app(settings, runtime=runtime))
        client.__enter__()
        opened.append((client, runtime))
        return client

    yield make
    for client, runtime in reversed(opened):
        client.__exit__(None, None, None)
        runtime.close()


@pytest.fixture
def client(make_client: AppFactory) -> TestClient:
    """The app with templates only (no LLM)."""
    return make_client()


@pytest.fixture
def sessions(client: TestClient, staff: dict[str, str]) -> dict[str, dict[str, str]]:
    """role → bearer headers of a signed-in account."""
    return {role: login(client, username) for role, username in staff.items()}
