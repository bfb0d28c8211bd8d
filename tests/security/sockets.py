"""The one place the attack suite opens sockets: the chat socket of a conversation and the console socket.

Both authenticate as a client must (the token in a first `auth` frame, never in the URL). A socket the server
accepts is handed over past its `ready` (chat); one it refuses still holds the `error` frame that says why, then
the close, so an attack can assert both.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from starlette.testclient import TestClient, WebSocketTestSession


class _Replayed:
    """A socket session whose first received frame was already read: it is returned again first."""

    def __init__(self, ws: WebSocketTestSession, first: dict[str, Any]) -> None:
        self._ws, self._first = ws, first

    def receive_json(self, *args: Any, **kwargs: Any) -> Any:
        if self._first is not None:
            first, self._first = self._first, None
            return first
        return self._ws.receive_json(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)


def _auth(ws: WebSocketTestSession, token: str | None) -> None:
    # No token: an `auth` frame without one, which the server refuses as unauthenticated at once.
    ws.send_json({"type": "auth", "token": token} if token is not None else {"type": "auth"})


@contextmanager
def open_chat(client: TestClient, conversation_id: str, token: str | None) -> Iterator[Any]:
    """`with open_chat(client, cid, token) as ws:` — the widget's socket of conversation `cid`, past `ready` when
    the token opens it; `token=None` tries it without any token."""
    with client.websocket_connect(f"/ws/chat/{quote(conversation_id, safe='')}") as ws:
        _auth(ws, token)
        first = ws.receive_json()
        yield ws if first.get("type") == "ready" else _Replayed(ws, first)


@contextmanager
def open_operator(client: TestClient, token: str | None) -> Iterator[WebSocketTestSession]:
    """`with open_operator(client, session_token) as ws:` — the console socket; `token=None` tries it without
    a session. The first frame of an accepted socket is `hello`."""
    with client.websocket_connect("/ws/operator") as ws:
        _auth(ws, token)
        yield ws
