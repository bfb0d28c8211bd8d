"""The one place the attack suite opens sockets: the chat socket of a conversation and the console socket.

Today both authenticate with `?token=` in the URL. When the token moves into a first frame
(`{"type": "auth", "token": …}` answered by `{"type": "ready", …}`), change these two functions and every
attack follows.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from urllib.parse import quote

from starlette.testclient import TestClient, WebSocketTestSession


def open_chat(client: TestClient, conversation_id: str, token: str | None) -> AbstractContextManager[
    WebSocketTestSession
]:
    """`with open_chat(client, cid, token) as ws:` — the widget's socket of conversation `cid`; `token=None`
    opens it without any token."""
    query = f"?token={quote(token, safe='')}" if token is not None else ""
    return client.websocket_connect(f"/ws/chat/{quote(conversation_id, safe='')}{query}")


def open_operator(client: TestClient, token: str | None) -> AbstractContextManager[WebSocketTestSession]:
    """`with open_operator(client, session_token) as ws:` — the console socket; `token=None` opens it without
    a session. The first frame of an accepted socket is `hello`."""
    query = f"?token={quote(token, safe='')}" if token is not None else ""
    return client.websocket_connect(f"/ws/operator{query}")
