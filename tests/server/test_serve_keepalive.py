"""`kefu serve`'s keep-alive pings: every 45 s on each open socket unless KEFU_HTTP_WS_PING_INTERVAL_S says otherwise
(uvicorn's own 20 s default costs a socket write per socket every 20 s, 250 a second at 5,000 open chats)."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn

import server.app
import server.cli.ready
from server.cli.serve import serve
from server.settings import get_settings

pytestmark = pytest.mark.unit


def served_with(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> dict[str, Any]:
    """What `kefu serve` hands uvicorn (nothing is built or bound)."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("KEFU_DATABASE_URL", "sqlite://")
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(kwargs))
    monkeypatch.setattr(server.app, "create_app", lambda *args, **kwargs: object())
    monkeypatch.setattr(server.cli.ready, "announce_when_ready", lambda *args, **kwargs: None)
    get_settings.cache_clear()
    try:
        serve(host="127.0.0.1", port=8765, workers=1)
    finally:
        get_settings.cache_clear()
    return seen


def test_sockets_are_pinged_every_45_s_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = served_with(monkeypatch, {})
    assert seen["ws_ping_interval"] == 45.0 and seen["ws_ping_timeout"] == 20.0
    assert seen["ws_ping_interval"] != uvicorn.Config(app=object()).ws_ping_interval  # not uvicorn's 20 s


def test_the_ping_interval_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = served_with(monkeypatch, {"KEFU_HTTP_WS_PING_INTERVAL_S": "25", "KEFU_HTTP_WS_PING_TIMEOUT_S": "10"})
    assert seen["ws_ping_interval"] == 25.0 and seen["ws_ping_timeout"] == 10.0
