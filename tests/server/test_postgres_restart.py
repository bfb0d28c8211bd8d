"""PostgreSQL restarting under the service: while it is down a turn fails in bounded time with the apology (never
hangs), and once it is back the next turns are answered on fresh connections (the pool's liveness check, the turn
lock's reconnect). The restart is played by a TCP proxy on 127.0.0.1 in front of the test server: it drops every
connection and refuses new ones, then accepts again. Bounded loops only."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from agent.pipeline import TurnInput, UnrecordedTurn
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever
from tests.services import TEST_IDENTITY_SECRET, fresh_pg_database

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

APOLOGY_EN = "Sorry, something went wrong on our side"


class RestartingProxy:
    """Forwards 127.0.0.1:<port> to the database; `down()` drops every connection and refuses new ones (a restart
    or a crash, seen from the client), `up()` accepts again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.up()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        self._listener, self._stop = listener, threading.Event()
        self._thread = threading.Thread(target=self._accept, args=(listener, self._stop), daemon=True)
        self._thread.start()

    def down(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            for conn in self._conns:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._conns.clear()

    def _accept(self, listener: socket.socket, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                client = listener.accept()[0]
            except (TimeoutError, OSError):
                continue
            try:
                server = socket.create_connection(self.target, timeout=3)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)


@pytest.fixture
def proxied_pg() -> Iterator[tuple[str, RestartingProxy]]:
    with fresh_pg_database() as url:
        parsed = make_url(url)
        proxy = RestartingProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
        try:
            yield parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False), proxy
        finally:
            proxy.down()


def test_turns_fail_fast_while_postgres_is_down_and_resume_after(proxied_pg: tuple[str, RestartingProxy],
                                                                 tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    url, proxy = proxied_pg
    settings = Settings(database_url=url, identity_secret=TEST_IDENTITY_SECRET, db_connect_timeout_s=2,
                        db_pool_timeout_s=2, recommender_model_path=tmp_path / "none.npz", bandit_enabled=False,
                        offers_bandit=False)
    runtime = build_runtime(settings, retriever=KeywordRetriever(), llm=None, warm=True)

    async def scenario() -> tuple[float, float, list[str]]:
        cid, _ = await asyncio.to_thread(runtime.conversations.create, channel="web", customer_id=None,
                                         language="en")
        await runtime.agent.start(cid, channel="web", customer_id=None, language="en")
        first = await runtime.agent.handle(cid, TurnInput("Who pays the shipping when I return something?", "m1"))
        assert not first.failed and first.reply.text

        proxy.down()  # the database goes away: pooled and turn-lock connections die, new ones are refused
        start = time.perf_counter()
        with pytest.raises(UnrecordedTurn) as down:
            await runtime.agent.handle(cid, TurnInput("How long is the warranty?", "m2"))
        failed_in = time.perf_counter() - start
        assert down.value.apology.startswith(APOLOGY_EN)

        proxy.up()  # back on the same address
        start = time.perf_counter()
        resumed = await runtime.agent.handle(cid, TurnInput("How long is the warranty?", "m2"))  # the retry
        resumed_in = time.perf_counter() - start
        assert not resumed.failed and not resumed.duplicate and resumed.reply.text
        later = await runtime.agent.handle(cid, TurnInput("thanks", "m3"))
        events = await runtime.agent.store.load(cid)
        assert not later.failed
        return failed_in, resumed_in, [e.type for e in events]

    try:
        failed_in, resumed_in, kinds = asyncio.run(scenario())
    finally:
        asyncio.run(runtime.aclose())
    with capsys.disabled():
        print(f"\n[postgres restart] a turn while down failed with the apology in {failed_in:.2f} s; "
              f"the retry after the restart answered in {resumed_in:.2f} s")
    assert failed_in < 6.0  # bounded by the connect timeout (2 s) and the pool's wait, never a hang
    assert kinds.count("user_uttered") == 3 and kinds.count("bot_uttered") == 3  # each message once, each answered


def test_a_stalled_statement_and_a_silent_server_fail_within_their_timeouts(
        proxied_pg: tuple[str, RestartingProxy]) -> None:
    """A statement that runs too long is cancelled by the server (statement timeout); a server that accepts the
    connection and never answers fails the connection attempt (connect timeout): neither holds a request forever."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from server.db.engine import make_engine

    url, _ = proxied_pg
    engine = make_engine(url, connect_timeout_s=2, statement_timeout_s=1, pool_timeout_s=2)
    try:
        start = time.perf_counter()
        with pytest.raises(OperationalError, match="statement timeout"), engine.connect() as conn:
            conn.execute(text("SELECT pg_sleep(10)"))
        assert time.perf_counter() - start < 5
    finally:
        engine.dispose()

    silent = socket.socket()  # accepts (the kernel's backlog) and never says a word
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        engine = make_engine(make_url(url).set(port=silent.getsockname()[1]).render_as_string(hide_password=False),
                             connect_timeout_s=2)
        start = time.perf_counter()
        with pytest.raises(OperationalError), engine.connect():
            pass
        assert time.perf_counter() - start < 6
        engine.dispose()
    finally:
        silent.close()
