"""Kefu's pytest rules: every test is exactly one kind, and unit tests cannot reach the network.

Kinds (pyproject registers them; `--strict-markers` refuses typos):

- `unit`: fast, in process, no network; `make test-fast` runs only these (`pytest -m unit`).
- `integration`: a real database, model, data set, subprocess or server, or seconds of work.
- `e2e`: the real server (and maybe a browser).

A module says its kind with `pytestmark = pytest.mark.unit` (or a test with its own decorator). A test with
none of the three, or more than one, stops the run before anything runs.

Unit tests run with a socket guard: connecting to anything but loopback raises `NetworkBlocked`, and so
does resolving a host name other than `localhost` (a DNS query is network too). Loopback needs an opt-in,
`@pytest.mark.allow_loopback` (or in `pytestmark`), for tests that talk to a scripted server on 127.0.0.1
(`tests/fakes/openai_server.py`). A blocked attempt also fails the test at teardown, so code that catches
the error and carries on (an LLM guard falling back to a template) still cannot pass unnoticed. Only
Python sockets are guarded: a C library that opens its own (libpq) is an integration test anyway.

Every log line of the run goes to files, through production's masked handler (`server.infra.logs.log_handler`),
and is audited when the session ends. The run's folder is `var/test-logs/<time>-<pid>/` (or
`KEFU_TEST_LOG_DIR`): `inprocess.log` holds the root logger at INFO, and a test that starts a server writes its
output to `run_logs.file(name)` there, or to any path passed through `audited_log` (`tests/e2e/conftest.py`
does). The audit (`tests/log_audit.py`) scans
every file for phone numbers, emails, addresses and tokens; a hit, or a folder without the capture's start
line, fails the run with the file and line of each hit. An inner pytester session in this process shares the
outer one's capture and does not audit.
"""

from __future__ import annotations

import ipaddress
import itertools
import logging
import os
import shutil
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

KINDS = ("unit", "integration", "e2e")
ALLOW_LOOPBACK = "allow_loopback"
LOG_DIR_ENV = "KEFU_TEST_LOG_DIR"
LOG_LEVEL = logging.INFO
KEEP_RUNS = 10  # run folders kept under var/test-logs


class NetworkBlocked(RuntimeError):
    """A unit test tried to reach the network (or loopback without `allow_loopback`)."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{ALLOW_LOOPBACK}: a unit test may connect to 127.0.0.1 / ::1")
    global _capture
    if _capture is None:  # an inner pytester session in this process keeps the outer one's capture
        _capture = LogCapture.start(_run_dir(config))
        config.stash[_OWNER] = _capture


# --- log capture and audit -------------------------------------------------------------------------------


@dataclass
class LogCapture:
    """The run's log folder and the masked file handler on the root logger that writes `inprocess.log`."""

    run_dir: Path
    handler: logging.Handler
    root_level: int
    _names: itertools.count = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def start(cls, run_dir: Path) -> LogCapture:
        from server.infra.logs import log_handler
        from tests.log_audit import IN_PROCESS, START_LINE

        run_dir.mkdir(parents=True, exist_ok=True)
        root = logging.getLogger()
        capture = cls(run_dir, log_handler(run_dir / IN_PROCESS), root.level)
        capture.attach()
        logging.getLogger("kefu.tests").info("%s in %s", START_LINE, run_dir)
        return capture

    def attach(self) -> None:
        """(Again) on the root logger at INFO or lower: a test that set up production logging in this process
        replaced the root's handlers."""
        root = logging.getLogger()
        if self.handler not in root.handlers:
            root.addHandler(self.handler)
        if root.getEffectiveLevel() > LOG_LEVEL:
            root.setLevel(LOG_LEVEL)

    def stop(self) -> None:
        root = logging.getLogger()
        root.removeHandler(self.handler)
        self.handler.close()
        root.setLevel(self.root_level)

    def file(self, name: str) -> Path:
        """A new file in the run's folder for a subprocess's output (`live-server-3.log`)."""
        return self.run_dir / f"{name}-{next(self._names)}.log"


_capture: LogCapture | None = None
_OWNER = pytest.StashKey[LogCapture]()


def _run_dir(config: pytest.Config) -> Path:
    """`KEFU_TEST_LOG_DIR`, else a new folder under var/test-logs; the older run folders there are pruned."""
    base = config.rootpath / "var" / "test-logs"
    chosen = Path(os.environ[LOG_DIR_ENV]).resolve() if os.environ.get(LOG_DIR_ENV) else None
    if base.is_dir():
        runs = [p for p in base.iterdir() if p.is_dir() and p.resolve() != chosen]
        runs.sort(key=lambda p: p.stat().st_mtime)
        for old in runs[: max(0, len(runs) - KEEP_RUNS + 1)]:
            shutil.rmtree(old, ignore_errors=True)
    return chosen or base / f"{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}"


@pytest.fixture(scope="session")
def run_logs() -> LogCapture:
    """The run's log capture: `run_logs.file("live-server")` is where a server subprocess writes its output."""
    if _capture is None:
        raise RuntimeError("the test run's log capture is not running (tests/plugin.py)")
    return _capture


def audited_log(path: Path) -> Path:
    """Where a subprocess a test starts should write its output: `path` if it is in the run's log folder, else a
    new file there that `path` links to (so callers that chose their own path still get audited)."""
    if _capture is None or path.resolve().is_relative_to(_capture.run_dir.resolve()):
        return path
    real = _capture.file(path.stem)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    path.symlink_to(real.resolve())
    return real


def pytest_runtest_logfinish() -> None:
    if _capture is not None:
        _capture.attach()


@pytest.hookimpl(trylast=True)  # after the session's fixtures (and the servers they started) are torn down
def pytest_sessionfinish(session: pytest.Session) -> None:
    global _capture
    capture = session.config.stash.get(_OWNER, None)
    if capture is None:
        return
    from tests.log_audit import IN_PROCESS, START_LINE, audit

    capture.stop()
    _capture = None
    result = audit(capture.run_dir, must_contain={IN_PROCESS: START_LINE})
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if result.ok:
        if reporter is not None:
            reporter.write_line(f"\nlog audit: {len(result.files)} log files in {capture.run_dir}, no leaks")
        return
    if reporter is None:
        print(result.report(), file=sys.stderr)
    else:  # counted as a failure, so the closing line says so too
        reporter.stats.setdefault("failed", []).append(pytest.TestReport(
            nodeid="log-audit", location=("tests/log_audit.py", 0, "log audit"), keywords={}, outcome="failed",
            longrepr=result.report(), when="call"))
    if session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    global _capture
    capture = config.stash.get(_OWNER, None)
    if capture is not None and capture is _capture:  # the session never finished (a usage error)
        capture.stop()
        _capture = None


@pytest.hookimpl(tryfirst=True)  # before `-m` selects, so no unmarked test slips through a selection
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    wrong = []
    for item in items:
        kinds = sorted({m.name for m in item.iter_markers() if m.name in KINDS})
        if len(kinds) != 1:
            wrong.append(f"  {item.nodeid}: {', '.join(kinds) or 'no kind'}")
    if wrong:
        raise pytest.UsageError(
            "every test needs exactly one of the markers unit, integration, e2e "
            "(e.g. `pytestmark = pytest.mark.unit` in the module):\n" + "\n".join(wrong)
        )


def _host(address: Any) -> str | None:
    """The host of an AF_INET/AF_INET6 address; None for AF_UNIX paths and other families."""
    if isinstance(address, tuple) and address and isinstance(address[0], str | bytes):
        host = address[0]
        return host.decode() if isinstance(host, bytes) else host
    return None


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


class SocketGuard:
    """Patches `socket.socket.connect`/`connect_ex` and `socket.getaddrinfo` while installed; remembers what
    it refused in `blocked`."""

    def __init__(self, test: str, allow_loopback: bool) -> None:
        self.test = test
        self.allow_loopback = allow_loopback
        self.blocked: list[str] = []

    def _refuse(self, what: str, why: str) -> NetworkBlocked:
        self.blocked.append(what)
        return NetworkBlocked(f"unit test {self.test} tried to {what}: {why}")

    def check_connect(self, address: Any) -> None:
        host = _host(address)
        if host is None:
            return
        where = f"connect to {host}:{address[1]}" if len(address) > 1 else f"connect to {host}"
        if not is_loopback(host):
            raise self._refuse(where, "unit tests have no network; mark it integration")
        if not self.allow_loopback:
            raise self._refuse(where, f"loopback needs @pytest.mark.{ALLOW_LOOPBACK}")

    def check_resolve(self, host: Any) -> None:
        if host is None:
            return
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name and not is_loopback(name) and not _is_literal(name):
            raise self._refuse(f"resolve {name!r}", "a DNS lookup is network; mark it integration")

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        connect, connect_ex, getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo
        guard = self

        def guarded_connect(sock: socket.socket, address: Any) -> None:
            guard.check_connect(address)
            return connect(sock, address)

        def guarded_connect_ex(sock: socket.socket, address: Any) -> int:
            guard.check_connect(address)
            return connect_ex(sock, address)

        def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            guard.check_resolve(host)
            return getaddrinfo(host, *args, **kwargs)

        monkeypatch.setattr(socket.socket, "connect", guarded_connect)
        monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
        monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)


@pytest.fixture(autouse=True)
def network_guard(request: pytest.FixtureRequest) -> Iterator[SocketGuard | None]:
    """Installed for unit tests (None for the others). A test that checks the guard itself clears
    `blocked` after asserting, so that its expected refusals do not fail it."""
    if request.node.get_closest_marker("unit") is None:
        yield None
        return
    guard = SocketGuard(request.node.nodeid, request.node.get_closest_marker(ALLOW_LOOPBACK) is not None)
    with pytest.MonkeyPatch.context() as patch:
        guard.install(patch)
        yield guard
    if guard.blocked:
        pytest.fail(f"unit test tried to reach the network: {'; '.join(guard.blocked)}", pytrace=False)
