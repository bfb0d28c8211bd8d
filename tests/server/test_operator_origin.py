"""The cookie's Origin rule on its own: which `Origin`/`Referer` headers count as this server."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from server.api.deps import from_this_server

pytestmark = pytest.mark.unit


def request(host: str, **headers: str) -> Request:
    raw = [(b"host", host.encode())] + [(k.encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": raw})


@pytest.mark.parametrize(
    ("host", "headers", "ok"),
    [
        ("shop.example", {"origin": "https://shop.example"}, True),
        ("shop.example:443", {"origin": "https://shop.example"}, True),  # a proxy that spells the default port
        ("Shop.Example:8000", {"origin": "http://shop.example:8000"}, True),
        ("shop.example:8000", {"origin": "http://shop.example:9000"}, False),  # same site, another origin
        ("shop.example", {"origin": "https://evil.example"}, False),
        ("shop.example", {"origin": "https://shop.example.evil.example"}, False),
        ("shop.example", {"origin": "null"}, False),  # sandboxed frames
        ("shop.example", {"origin": "https://evil.example", "referer": "https://shop.example/console"}, False),
        ("shop.example", {"referer": "https://shop.example/console?x=1"}, True),
        ("shop.example", {"referer": "https://evil.example/shop.example"}, False),
        ("shop.example", {"referer": "javascript:alert(1)"}, False),
        ("[::1]:8000", {"origin": "http://[::1]:8000"}, True),
    ],
)
def test_origin_or_referer_must_name_this_host(host: str, headers: dict[str, str], ok: bool) -> None:
    assert from_this_server(request(host, **headers), missing_ok=False) is ok


def test_neither_header_is_refused_unless_allowed() -> None:
    assert from_this_server(request("shop.example"), missing_ok=False) is False
    assert from_this_server(request("shop.example"), missing_ok=True) is True
