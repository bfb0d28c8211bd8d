"""Opening Kefu's sockets as a client must: the token goes in the first frame (`auth`), never in the URL.

Works with both socket clients the tests use: Starlette's `TestClient.websocket_connect` sessions (in process)
and the `websockets` sync client (against a live server).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession


def send(ws: Any, frame: dict[str, Any]) -> None:
    if isinstance(ws, WebSocketTestSession):
        ws.send_json(frame)
    else:
        ws.send(json.dumps(frame))


def receive(ws: Any, timeout: float = 10) -> dict[str, Any]:
    if isinstance(ws, WebSocketTestSession):
        return ws.receive_json()
    return json.loads(ws.recv(timeout=timeout))


def authenticate(ws: Any, token: str) -> dict[str, Any]:
    """Send the `auth` frame and return the server's answer: `ready` (chat), `hello` (operator) or `error`."""
    send(ws, {"type": "auth", "token": token})
    return receive(ws)


def authenticated(ws: Any, token: str) -> Any:
    """`ws` once the server has accepted `token` (fails the test with the server's refusal otherwise)."""
    answer = authenticate(ws, token)
    assert answer["type"] in ("ready", "hello"), answer
    return ws


@contextmanager
def chat_socket(client: TestClient, conversation_id: str, token: str, **kwargs: Any) -> Iterator[WebSocketTestSession]:
    """An in-process chat socket, authenticated and `ready`."""
    with client.websocket_connect(f"/ws/chat/{conversation_id}", **kwargs) as ws:
        yield authenticated(ws, token)


@contextmanager
def operator_socket(client: TestClient, token: str, **kwargs: Any) -> Iterator[WebSocketTestSession]:
    """An in-process operator socket that has sent its `auth` frame; the server's next frame is `hello`
    (or the `error` that refuses the token)."""
    with client.websocket_connect("/ws/operator", **kwargs) as ws:
        send(ws, {"type": "auth", "token": token})
        yield ws


@contextmanager
def live_chat_socket(ws_base: str, conversation_id: str, token: str, **kwargs: Any) -> Iterator[Any]:
    """A chat socket on a live server (`ws://host:port`), authenticated and `ready`."""
    from websockets.sync.client import connect

    with connect(f"{ws_base}/ws/chat/{conversation_id}", **kwargs) as ws:
        yield authenticated(ws, token)


def frame_of(ws: Any, kind: str) -> dict[str, Any]:
    """The next frame of type `kind`, or the `error` frame that came instead (frames in between are skipped)."""
    while (frame := receive(ws))["type"] not in (kind, "error"):
        pass
    return frame


def bot_message(ws: Any) -> dict[str, Any]:
    """The next `bot_message` frame; fails the test with the server's `error` frame if one comes first."""
    frame = frame_of(ws, "bot_message")
    assert frame["type"] == "bot_message", frame
    return frame


def start_chat(client: TestClient, customer_id: str | None, language: str) -> tuple[str, str]:
    """A new web conversation (signed for `customer_id`, anonymous without one): its id and token."""
    from tests.services import signed

    body = {"channel": "web", "language": language, **(signed(customer_id) if customer_id else {})}
    r = client.post("/api/conversations", json=body)
    assert r.status_code == 201, r.text
    return r.json()["conversation_id"], r.json()["token"]


def events_of(client: TestClient, conversation_id: str, token: str, kind: str) -> list[dict[str, Any]]:
    """The conversation's events of one type, as the events API gives them (`type`, `seq`, `payload`, …)."""
    r = client.get(f"/api/conversations/{conversation_id}/events", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return [e for e in r.json()["events"] if e["type"] == kind]
