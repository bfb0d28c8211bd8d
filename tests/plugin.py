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
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

KINDS = ("unit", "integration", "e2e")
ALLOW_LOOPBACK = "allow_loopback"



class NetworkBlocked(RuntimeError):
    """A unit test tried to reach the network (or loopback without `allow_loopback`)."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{ALLOW_LOOPBACK}: a unit test may connect to 127.0.0.1 / ::1")


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
