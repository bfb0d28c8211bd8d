"""The sockets' wire: the one reader of client frames, and the customer-channel frames built from events.

`read_frame` is how every socket reads what a client sent: a frame over the socket's size limit, text that
is not JSON, JSON that is no frame of the socket's discriminated union or a binary frame gives an `error`
frame to send back (`too_large`, `malformed_json`, `invalid_frame`, `binary_frame`) and changes nothing;
the socket stays open.

`first_frame_token` is how a socket is authenticated without putting a secret in its URL (URLs end up in
access logs, proxies and browser history): the client's first frame is `{"type": "auth", "token": …}`, sent
within `AUTH_TIMEOUT_S` of the socket opening; any other first frame is refused.

`event_frame` is the one mapping of dialogue events to customer frames that REST, WS and resume share.
Internal events (intents, slots, tool calls, affect) are not sent to the customer's widget. Operators are
named by display name (`names`: username → display name, see `server.operators.names`), never by login.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any, Literal, TypeVar

import orjson
from fastapi import WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from agent.events import Event
from server.errors import ApiError

T = TypeVar("T")

# Events whose payload is the store's own view of the customer (segment, churn risk): listed to them without it.
STAFF_ONLY_PAYLOAD = frozenset({"customer_profiled"})
_HANDOFF_STATUS = {"handoff_requested": "queued", "operator_joined": "operator", "handed_back": "bot"}
# The events with a customer frame: the others (most of a turn's) are dropped before their payload is built.
_CUSTOMER_EVENTS = frozenset({"user_uttered", "bot_uttered", "operator_uttered", "csat_given", *_HANDOFF_STATUS})


def event_frame(
    event: Event, state: dict[str, Any] | None = None, names: Mapping[str, str] | None = None
) -> dict[str, Any] | None:
    """The customer-facing frame for an event, or None if the event is internal."""
    if event.type not in _CUSTOMER_EVENTS:
        return None
    p = event.to_payload()
    operator = (names or {}).get(p.get("operator") or "")
    if event.type == "user_uttered":
        return {"type": "user_message", "seq": event.seq, "text": p["text"], "client_msg_id": p.get("client_msg_id")}
    if event.type == "bot_uttered":
        frame = {
            "type": "bot_message",
            "seq": event.seq,
            "text": p["text"],
            "source": p.get("source"),
            "citations": p.get("citations", []),
            "cards": p.get("cards", []),
            "quick_replies": p.get("quick_replies", []),
        }
        if state is not None:
            frame["state"] = state
        return frame
    if event.type == "operator_uttered":
        return {"type": "operator_message", "seq": event.seq, "text": p["text"], "operator": operator}
    if event.type in _HANDOFF_STATUS:
        frame = {"type": "handoff", "seq": event.seq, "status": _HANDOFF_STATUS[event.type]}
        if event.type != "handoff_requested":
            frame["operator"] = operator
        return frame
    if event.type == "csat_given":
        return {"type": "csat_recorded", "seq": event.seq, "score": p["score"]}
    return None


def customer_event(event: Event, names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An event of the log as a customer reads it (`GET /api/conversations/{id}/events`): an operator's login
    is replaced by their display name (None if unknown)."""
    out = event.to_dict()
    if event.type in STAFF_ONLY_PAYLOAD:
        out["payload"] = {}
    if "operator" in out["payload"] and out["payload"]["operator"] is not None:
        out["payload"]["operator"] = (names or {}).get(out["payload"]["operator"])
    return out


def error_frame(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


async def receive(ws: WebSocket) -> str | bytes:
    """The next client frame, text or binary (`WebSocket.receive_text` would fail on a binary one)."""
    message = await ws.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    return text if text is not None else message.get("bytes") or b""


def read_frame(raw: str | bytes, adapter: TypeAdapter[T], max_bytes: int) -> T | dict[str, Any]:
    """The client frame `raw` holds, or the `error` frame to answer it with (never raises for bad input)."""
    if isinstance(raw, bytes):
        return error_frame("binary_frame", "Frames are JSON text; binary frames are not read.")
    if len(raw.encode("utf-8")) > max_bytes:
        return error_frame("too_large", f"Frames are limited to {max_bytes} bytes.")
    try:
        return adapter.validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            return error_frame("malformed_json", "The frame is not valid JSON.")
        return error_frame("invalid_frame", f"Invalid frame: {exc.errors()[0]['msg']}")


async def send_frame(ws: WebSocket, frame: dict[str, Any]) -> None:
    await ws.send_text(frame_text(frame))


def frame_text(frame: dict[str, Any]) -> str:
    """A frame as compact JSON text, non-ASCII as is: orjson (~15x cheaper than `json.dumps` on a reply with cards,
    and every turn sends two), or `json.dumps` for what orjson refuses (an int past 64 bits, a non-string key)."""
    try:
        return orjson.dumps(frame).decode()
    except TypeError:
        return json.dumps(frame, ensure_ascii=False)


async def refuse(ws: WebSocket, code: str, message: str, status: int) -> None:
    """Tell an accepted socket why it may not stay (`error` frame), then close it with 4000 + the HTTP status."""
    await send_frame(ws, error_frame(code, message))
    await ws.close(code=4000 + status)


AUTH_TIMEOUT_S = 10.0
AUTH_MAX_BYTES = 2 * 1024


class Auth(BaseModel):
    type: Literal["auth"]
    token: str = Field(min_length=1, max_length=1024)


_AUTH = TypeAdapter(Auth)


def refuse_token_in_url(ws: WebSocket) -> None:
    """`ApiError` 400 `token_in_url` if the socket's URL carries `?token=`: such a URL leaks the token into logs
    and history, so it is never accepted, even with a right token (every client learns the first frame)."""
    if "token" in ws.query_params:
        raise ApiError(400, "token_in_url",
                       'Send the token in the first frame ({"type": "auth", "token": "…"}), never in the URL.')


async def first_frame_token(ws: WebSocket, timeout_s: float | None = None) -> str:
    """The token of the client's first frame `{"type": "auth", "token"}`. Raises `ApiError` 401
    `not_authenticated` for any other first frame and 408 `auth_timeout` when none comes in `timeout_s`
    (default `AUTH_TIMEOUT_S`; refuse it: close 4401 / 4408), and `WebSocketDisconnect` if the client leaves."""
    timeout_s = AUTH_TIMEOUT_S if timeout_s is None else timeout_s
    try:
        message = await asyncio.wait_for(ws.receive(), timeout_s)
    except TimeoutError:
        hint = f'No {{"type": "auth", "token": …}} frame within {timeout_s:g} s of opening the socket.'
        raise ApiError(408, "auth_timeout", hint) from None
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    text = message.get("text")
    frame = read_frame(text, _AUTH, AUTH_MAX_BYTES) if isinstance(text, str) else None
    if not isinstance(frame, Auth):
        raise ApiError(401, "not_authenticated",
                       'Authenticate first: the first frame must be {"type": "auth", "token": "…"}.')
    return frame.token
