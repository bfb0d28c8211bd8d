"""The line `kefu serve` (and so `make run`) prints when the service can answer: only once the real `/readyz` says
ready (models loaded; the LLM warm when one is configured), with the address to open."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from server.app import create_app
from server.cli.ready import announce_when_ready, local_url, ready_line
from server.runtime import Runtime, build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever

pytestmark = [pytest.mark.integration, pytest.mark.allow_loopback]


@pytest.fixture
def runtime(demo_store_url: str) -> Iterator[Runtime]:
    rt = build_runtime(Settings(database_url=demo_store_url), retriever=KeywordRetriever(), llm=None, warm=False)
    yield rt
    rt.close()


@pytest.fixture
def served(runtime: Runtime) -> Iterator[str]:
    """The real app on a free loopback port, in a thread: its URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(runtime.settings, runtime=runtime), log_config=None,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_the_ready_line_waits_for_the_models(runtime: Runtime, served: str) -> None:
    lines: list[str] = []
    runtime.warmers = (lambda: time.sleep(0.3),)
    watcher = announce_when_ready(served, time.monotonic(), lines.append, every_s=0.05, give_up_s=20)
    time.sleep(0.5)
    assert lines == []  # listening, but /readyz still says "models" are loading
    runtime.warm_up()
    watcher.join(timeout=10)
    assert len(lines) == 1
    assert lines[0].startswith(f"Kefu ready on {served} (models loaded, no LLM (templates); ")
    assert lines[0].endswith(" s after start)")


def test_the_ready_line_names_a_warm_llm_and_the_loopback_address() -> None:
    line = ready_line(local_url("0.0.0.0", 8000), 12.34, {"models": True, "llm": True})
    assert line == "Kefu ready on http://127.0.0.1:8000 (models loaded, LLM warm; 12.3 s after start)"


def test_a_server_that_never_gets_ready_is_reported_once_the_wait_ends() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    lines: list[str] = []
    announce_when_ready(url, time.monotonic(), lines.append, every_s=0.05, give_up_s=0.3).join(timeout=5)
    assert lines == [f"Kefu is still not ready on {url} after 0.3 s; see the log above"]
