"""Demo mode is off unless asked for, and refused in the production shape: the demo list hands out every demo
customer's signature, so a server that shows it lets anyone be any of them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.infra.demo_mode import DemoRefused
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever
from tests.server.console_support import small_store
from tests.services import TEST_IDENTITY_SECRET, signed

pytestmark = pytest.mark.integration
KEFU = str(Path(sys.executable).with_name("kefu"))
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return small_store(tmp_path_factory, "demo-mode", customers=20, orders=80)


def app_client(settings: Settings) -> Iterator[TestClient]:
    runtime = build_runtime(settings, retriever=KeywordRetriever(), warm=False)
    try:
        with TestClient(create_app(settings, runtime=runtime)) as c:
            yield c
    finally:
        runtime.close()


@pytest.fixture
def plain(store_url: str) -> Iterator[TestClient]:
    yield from app_client(Settings(database_url=store_url, identity_secret=TEST_IDENTITY_SECRET))


@pytest.fixture
def demo(store_url: str) -> Iterator[TestClient]:
    yield from app_client(Settings(database_url=store_url, identity_secret=TEST_IDENTITY_SECRET, demo=True))


def test_demo_mode_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEFU_DEMO", raising=False)
    assert Settings().store.demo is False


def test_without_demo_mode_no_customer_list_and_a_home_page_instead(plain: TestClient) -> None:
    r = plain.get("/api/demo/customers")
    assert r.status_code == 404 and r.json()["error"]["code"]
    page = plain.get("/")
    assert page.status_code == 200
    assert 'data-testid="service-home"' in page.text and "customer-picker" not in page.text
    assert "/static/demo.js" not in page.text  # the demo page's script would ask for the list
    assert plain.get("/static/home.css").status_code == 200
    # the store's signed customers still chat as themselves
    r = plain.post("/api/conversations", json={"channel": "web", **signed("C00002"), "language": "en"})
    assert r.status_code == 201 and r.json()["customer_id"] == "C00002"


def test_demo_mode_lists_signed_demo_customers_and_shows_the_demo_page(demo: TestClient) -> None:
    customers = demo.get("/api/demo/customers?limit=3").json()
    assert len(customers) == 3 and all(c["customer_sig"] == signed(c["customer_id"])["customer_sig"]
                                       for c in customers)
    assert "customer-picker" in demo.get("/").text


def test_demo_mode_is_refused_on_postgresql() -> None:
    settings = Settings(database_url="postgresql+psycopg://postgres@127.0.0.1/test", demo=True)
    with pytest.raises(DemoRefused, match="PostgreSQL"):
        create_app(settings)


def serve(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KEFU, "serve", *args], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_kefu_serve_refuses_demo_mode_with_several_workers_or_postgresql(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env.update({"KEFU_DEMO": "1", "KEFU_DATABASE_URL": f"sqlite:///{tmp_path / 'kefu.db'}", "KEFU_PORT": "1"})
    r = serve(["--workers", "2"], env)
    assert r.returncode == 2 and "one worker" in r.stderr
    env["KEFU_DATABASE_URL"] = "postgresql+psycopg://postgres@127.0.0.1/test"
    r = serve([], env)
    assert r.returncode == 2 and "PostgreSQL" in r.stderr
    # without demo mode, several workers still need the production shape (refused before the app is imported)
    del env["KEFU_DEMO"]
    env["KEFU_DATABASE_URL"] = f"sqlite:///{tmp_path / 'kefu.db'}"
    r = serve(["--workers", "2"], env)
    assert r.returncode == 2 and "needs KEFU_DATABASE_URL on PostgreSQL and KEFU_REDIS_URL" in r.stderr
