"""The test rules of tests/plugin.py hold: unit tests cannot reach the network (loopback only when they opt
in), and a test without exactly one kind stops the run."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

from tests.plugin import NetworkBlocked, SocketGuard

pytestmark = pytest.mark.unit


@pytest.fixture
def listener() -> Iterator[int]:
    """A socket listening on 127.0.0.1 (binding and listening are not connecting); its port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_loopback_without_the_opt_in_is_refused(network_guard: SocketGuard, listener: int) -> None:
    with pytest.raises(NetworkBlocked, match=r"connect to 127\.0\.0\.1:\d+: loopback needs @pytest\.mark\.allow_"):
        socket.create_connection(("127.0.0.1", listener), timeout=1)
    with socket.socket() as s, pytest.raises(NetworkBlocked):
        s.connect_ex(("localhost", listener))
    network_guard.blocked.clear()  # refused as expected: not a failure of this test


async def test_asyncio_connections_are_refused_too(network_guard: SocketGuard, listener: int) -> None:
    with pytest.raises(NetworkBlocked, match="allow_loopback"):
        await asyncio.open_connection("127.0.0.1", listener)
    network_guard.blocked.clear()


@pytest.mark.allow_loopback
def test_loopback_with_the_opt_in_connects_and_nothing_else_does(network_guard: SocketGuard, listener: int) -> None:
    socket.create_connection(("127.0.0.1", listener), timeout=1).close()
    with socket.socket() as s, pytest.raises(NetworkBlocked, match="unit tests have no network"):
        s.connect(("10.255.255.1", 80))
    with pytest.raises(NetworkBlocked, match="a DNS lookup is network"):
        socket.getaddrinfo("example.com", 443)
    assert socket.getaddrinfo("localhost", listener) and socket.getaddrinfo("127.0.0.1", listener)
    assert network_guard.blocked == ["connect to 10.255.255.1:80", "resolve 'example.com'"]
    network_guard.blocked.clear()


def run_inner(pytester: pytest.Pytester, source: str) -> pytest.RunResult:
    """Run `source` as a test module in a pytest session of its own, with these rules."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_inner=source)
    return pytester.runpytest_inprocess("-p", "tests.plugin", "-p", "no:cacheprovider")


@pytest.mark.allow_loopback  # the inner session shares this process's sockets and this test's guard
def test_a_swallowed_refusal_still_fails_the_unit_test(pytester: pytest.Pytester) -> None:
    result = run_inner(
        pytester,
        """
import socket
import pytest

pytestmark = pytest.mark.unit


def test_swallows_a_blocked_connect():
    try:
        socket.create_connection(("10.255.255.1", 80), timeout=0.2)
    except Exception:
        pass  # like an LLM guard that falls back to a template
""",
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*unit test tried to reach the network: connect to 10.255.255.1:80*"])


@pytest.mark.allow_loopback
def test_integration_tests_are_not_guarded(pytester: pytest.Pytester, listener: int) -> None:
    result = run_inner(
        pytester,
        f"""
import socket
import pytest

pytestmark = pytest.mark.integration


def test_loopback(network_guard):
    assert network_guard is None
    socket.create_connection(("127.0.0.1", {listener}), timeout=1).close()
""",
    )
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize("marks", ["", "pytestmark = [pytest.mark.unit, pytest.mark.e2e]"])
def test_a_test_without_exactly_one_kind_stops_the_run(pytester: pytest.Pytester, marks: str) -> None:
    result = run_inner(pytester, f"import pytest\n{marks}\n\ndef test_a():\n    pass\n")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*exactly one of the markers unit, integration, e2e*", "*test_inner.py::test_a: *"])
