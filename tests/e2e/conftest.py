"""A real Kefu server in a subprocess on a free port, over a small demo store built for the session.

Its output (INFO and up, masked by production's logging) goes to a file in the run's log folder, which the
log audit scans when the session ends (tests/plugin.py); a server that fails to start shows its log's tail.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.e2e.store_pages import StorePages, store_pages
from tests.plugin import LogCapture, audited_log
from tests.services import TEST_IDENTITY_SECRET

ROOT = Path(__file__).resolve().parents[2]
KEFU = Path(sys.executable).with_name("kefu")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def e2e_env(tmp_path_factory: pytest.TempPathFactory, knowledge_index: tuple[Path, object]) -> dict[str, str]:
    """Environment of a server whose store is dated today (so return windows follow the real clock), on the
    session's index of the shipped documents (read-only)."""
    from server.demo.build import build_demo_store

    base = tmp_path_factory.mktemp("kefu-e2e")
    url = f"sqlite:///{base / 'kefu.db'}"
    build_demo_store(url, seed=7, as_of=datetime.now(UTC).date(), customers=120, orders=1200)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env.update({"KEFU_DATABASE_URL": url, "KEFU_INDEX_DIR": str(knowledge_index[0]), "KEFU_LOG_LEVEL": "INFO",
                "KEFU_IDENTITY_SECRET": TEST_IDENTITY_SECRET,
                # the session's own rule files (tests write theirs here), never the checkout's var/models/rules:
                # until a test writes one, cross-sell follows the catalogue's fit
                "KEFU_RULES_DIR": str(base / "rules"),
                # every e2e test talks from 127.0.0.1, faster than any one shopper: the limits have their own tests
                # (tests/security/test_rate_limits.py, on the real app)
                "KEFU_RATE_LIMITS": "off",
                # lists in the recommenders' order: browser tests act on the first card, and the re-ranking bandit
                # explores at random by design (it has its own tests, tests/tools/marketing/test_recommend_bandit.py)
                "KEFU_BANDIT_ENABLED": "false",
                # the demo page and its signed customer list (SQLite, one worker: the only place demo mode runs)
                "KEFU_DEMO": "1"})
    return env


def start_server(env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen, str]:
    """`kefu serve` on a free port, its output in `log_path` (in the run's audited log folder, or linked to
    a file there): (process, base URL)."""
    port = _free_port()
    with audited_log(log_path).open("w") as log:
        proc = subprocess.Popen([str(KEFU), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def wait_ready(proc: subprocess.Popen, base: str, log_path: Path, timeout_s: float = 120) -> None:
    """Until `/readyz` says the server is ready to answer (fails the test if it exits or takes too long)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode} (log: {log_path}):\n{_tail(log_path)}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail(f"server was not ready in {timeout_s:.0f} s (log: {log_path}):\n{_tail(log_path)}")


def _tail(log_path: Path, chars: int = 4000) -> str:
    return log_path.read_text(encoding="utf-8", errors="replace")[-chars:] if log_path.exists() else "(no log)"


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def allowed_store() -> Iterator[StorePages]:
    """A store's web server on its own origin, which the session's live server allows (`KEFU_HTTP_ALLOWED_ORIGINS`):
    the cross-origin tests embed the widget in its pages. No other test's page comes from another origin."""
    with store_pages() as server:
        yield server


@pytest.fixture(scope="session")
def live_server_and_log(
    e2e_env: dict[str, str], run_logs: LogCapture, allowed_store: StorePages
) -> Iterator[tuple[str, Path]]:
    """The session's one `kefu serve` (a start costs 10-40 s): its base URL and its log file (at INFO)."""
    log_path = run_logs.file("live-server")
    proc, base = start_server({**e2e_env, "KEFU_HTTP_ALLOWED_ORIGINS": allowed_store.origin}, log_path)
    try:
        wait_ready(proc, base, log_path)
        yield base, log_path
    finally:
        stop_server(proc)


@pytest.fixture(scope="session")
def live_server(live_server_and_log: tuple[str, Path]) -> str:
    return live_server_and_log[0]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium for one test module (tests/e2e/browser.py; skips locally, fails in CI, without it)."""
    from tests.e2e.browser import chromium

    with chromium() as b:
        yield b


@pytest.fixture
def shop(browser, request: pytest.FixtureRequest) -> Iterator[object]:
    """The demo shop page of the session's live server in a fresh browser context. The browser first: without
    Chromium the test skips before the server is started."""
    from tests.e2e.browser import Page

    live_server: str = request.getfixturevalue("live_server")
    p = Page(browser, live_server)
    try:
        yield p
    finally:
        p.close()
