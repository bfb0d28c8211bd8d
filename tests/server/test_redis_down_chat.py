"""With Redis unreachable (a dead port) or partitioned (a port that accepts and never answers), a conversation on
one worker is still answered, its reply streamed token by token, in about the time it takes with no Redis at all:
same-worker delivery never waits on Redis. Everything on 127.0.0.1; loops bounded."""

from __future__ import annotations

import contextlib
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from agent.llm import GuardedLLM
from server.app import create_app
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever, ScriptedLLM
from tests.services import TEST_IDENTITY_SECRET
from tests.sockets import live_chat_socket, receive, send

pytestmark = pytest.mark.integration

WORDS = "哈哈，笑话我可讲不好。不过查订单我很在行。退换货也可以问我。挑商品我也能帮您。有什么需要吗？"
SENTENCES = 5  # streamed as checked: one `bot_token` frame per sentence
TURNS = 6
FRAME_WAIT_S = 5.0  # a frame that has not come by then fails the test (no test waits forever)


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """`app` served on 127.0.0.1 by uvicorn in a thread; its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", log_config=None, timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@contextlib.contextmanager
def dead_port() -> Iterator[int]:
    """A port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    yield port


@contextlib.contextmanager
def tarpit() -> Iterator[int]:
    """A port that accepts connections and never says anything: a network partition, seen from the client."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def hold() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                held.append(server.accept()[0])

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        server.close()


def chat_times(store_url: str, tmp_path: Path,
               redis_url: str | None) -> tuple[list[float], list[float], list[int], Any]:
    """Per turn: seconds from the message to its whole reply over the socket, seconds from the first streamed
    `bot_token` frame to the `bot_message`, and how many `bot_token` frames came (one conversation per turn: the
    same small talk, worded by the LLM each time)."""
    settings = Settings(database_url=store_url, identity_secret=TEST_IDENTITY_SECRET, redis_url=redis_url,
                        redis_breaker_reset_s=30.0, recommender_model_path=tmp_path / "none.npz",
                        bandit_enabled=False, offers_bandit=False)
    llm = GuardedLLM(ScriptedLLM(WORDS, chunk_chars=2), first_token_timeout_s=5, stall_timeout_s=5)
    runtime = build_runtime(settings, retriever=KeywordRetriever(), llm=llm, warm=True)
    took, spans, tokens = [], [], []
    try:
        with serving(create_app(settings, runtime=runtime)) as base:
            for n in range(TURNS):
                body = httpx.post(f"{base}/api/conversations", json={"channel": "web", "language": "zh"},
                                  timeout=FRAME_WAIT_S).json()
                with live_chat_socket(base.replace("http", "ws", 1), body["conversation_id"], body["token"],
                                      open_timeout=FRAME_WAIT_S) as ws:
                    start = time.perf_counter()
                    send(ws, {"type": "user_message", "text": "讲个笑话吧", "client_msg_id": f"m{n}"})
                    streamed, first = 0, 0.0
                    for _ in range(500):
                        frame = receive(ws, timeout=FRAME_WAIT_S)
                        if frame["type"] == "bot_token":
                            streamed += 1
                            first = first or time.perf_counter()
                        elif frame["type"] in ("bot_message", "error"):
                            break
                    assert frame["type"] == "bot_message" and frame["text"] == WORDS, frame
                    took.append(time.perf_counter() - start)
                    spans.append(time.perf_counter() - first)
                    tokens.append(streamed)
    finally:
        runtime.close()
    return took, spans, tokens, runtime.redis_breaker


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    from tests.server.console_support import small_store

    return small_store(tmp_path_factory, "redis-down", customers=20, orders=60)


@pytest.mark.parametrize("fault", ["dead_port", "partition"])
def test_same_worker_chat_streams_promptly_with_redis_unreachable(store_url: str, tmp_path: Path, fault: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    baseline, base_spans, base_tokens, _ = chat_times(store_url, tmp_path, None)
    with (dead_port() if fault == "dead_port" else tarpit()) as port:
        took, spans, tokens, breaker = chat_times(store_url, tmp_path, f"redis://127.0.0.1:{port}/0")
    steady = took[2:]  # (the first turns may each pay a bounded call or two before the breaker opens)
    with capsys.disabled():
        print(f"\n[redis {fault}] seconds per turn: no redis p50 {statistics.median(baseline):.3f} max "
              f"{max(baseline):.3f}; redis down p50 {statistics.median(took):.3f} max {max(took):.3f} (first "
              f"{took[0]:.3f}, from the 3rd p50 {statistics.median(steady):.3f}); first token to whole reply max "
              f"{max(spans):.3f} (no redis {max(base_spans):.3f}); bot_token frames per turn {tokens[0]}; "
              f"breaker {breaker.state}, opened {breaker.opened}x, refused {breaker.refused} calls")
    assert tokens == base_tokens == [SENTENCES] * TURNS  # streamed as without Redis
    assert breaker.state == "open"  # found down, and no longer called
    assert max(spans) < 0.75, spans  # no token waits on Redis (a partition cost each one its 2 s socket timeout)
    # (the machine is shared: turn times are noisy, so the bound is loose, far below a turn that waits on Redis)
    assert statistics.median(steady) < 1.5 * statistics.median(baseline) + 0.5, (steady, baseline)
    assert max(took) < max(baseline) + 2.5, (took, baseline)
