"""`WS /ws/operator`: the console's live socket.

Authentication: the console page's session cookie, or (tools) `Authorization: Bearer <session token>` on the
upgrade request, or else a first frame `{"type": "auth", "token"}` within 10 s (as on the chat socket; other
frames first: close 4401, none in time: 4408). Never `?token=` in the URL (refused, `token_in_url`). A
browser page of another origin is refused (`bad_origin`, 4403).

Server frames: `hello` (who you are, the live list), `conversation` (a list row changed), `events` (new
events of a conversation this socket opened, internal ones included), `typing` (the customer is typing),
`note`, `csat_requested`, `pong`, `error`. Client frames: `{"type": "open", "conversation_id", "after"?}`
(follow a conversation; with `after`, first replay the log after that seq), `{"type": "close",
"conversation_id"}`, `{"type": "typing", "conversation_id", "on"}` (shown in the customer's widget while
you hold the conversation), `{"type": "ping"}`. A bad frame gets an `error` frame; the socket stays open.

When the socket's session ends (sign-out, a new password, the account disabled, expiry) the socket sends an
`error` frame `session_ended` and closes with 4401: at once when the change announces itself on the
`operator_sessions` pub/sub channel (every worker hears it), else at the next periodic re-check
(`SESSION_CHECK_SECONDS`, the backstop for a `kefu operator` command that cannot reach this process).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from server.api.deps import CONVERSATION_ID, MAX_SEQ, client_ip
from server.api.operator.deps import socket_operator
from server.channels.budget import spend
from server.channels.frames import error_frame, read_frame, receive, refuse, send_frame
from server.db.operators import OperatorRow
from server.errors import ApiError
from server.operators import actions
from server.operators.feed import CONSOLE_CHANNEL
from server.operators.sessions import SESSIONS_CHANNEL
from server.runtime import Runtime

log = logging.getLogger(__name__)
router = APIRouter()

MAX_FRAME_BYTES = 4 * 1024
MAX_OPEN = 20
SESSION_CHECK_SECONDS = 5.0  # backstop re-check of the socket's session (one indexed read per socket)
SESSION_ENDED = "Your session has ended (signed out, password changed or account disabled); sign in again."
ConversationId = Annotated[str, Field(pattern=CONVERSATION_ID)]


class Open(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Literal["open"]
    conversation_id: ConversationId
    after: int | None = Field(default=None, ge=0, le=MAX_SEQ)


class Close(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Literal["close"]
    conversation_id: ConversationId


class Typing(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Literal["typing"]
    conversation_id: ConversationId
    on: bool


class Ping(BaseModel):
    type: Literal["ping"]


ClientFrame = TypeAdapter(Annotated[Open | Close | Typing | Ping, Field(discriminator="type")])


@router.websocket("/ws/operator")
async def operator_socket(ws: WebSocket) -> None:
    runtime: Runtime = ws.app.state.runtime
    await ws.accept()
    ip = client_ip(ws)
    if not runtime.sockets.take(ip):
        await refuse(ws, "too_many_sockets", "Too many open connections from this address.", 429)
        return
    try:
        await _console(ws, runtime)
    finally:
        runtime.sockets.give_back(ip)


async def _console(ws: WebSocket, runtime: Runtime) -> None:
    try:
        operator, token = await socket_operator(ws, runtime)
    except ApiError as exc:
        await refuse(ws, exc.code, exc.message, exc.status)
        return
    except WebSocketDisconnect:
        return  # left before authenticating

    following: set[str] = set()
    async with (
        runtime.pubsub.subscribe(CONSOLE_CHANNEL) as queue,
        runtime.pubsub.subscribe(SESSIONS_CHANNEL) as session_news,
    ):
        await send_frame(
            ws,
            {
                "type": "hello",
                "operator": operator.public(),
                "now": runtime.console.clock().isoformat(),
                "conversations": await runtime.console.live(),
            },
        )
        pump = asyncio.create_task(_pump(ws, queue, following))
        ends = [
            asyncio.create_task(_receive(ws, runtime, operator, following)),
            asyncio.create_task(_watch_session(ws, runtime, operator.id, token, session_news)),
        ]
        try:
            done, _ = await asyncio.wait(ends, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (pump, *ends):
                task.cancel()
            for task in (pump, *ends):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        for task in done:
            task.result()  # an unexpected failure propagates (and is logged) as it would inline


async def _receive(ws: WebSocket, runtime: Runtime, operator: OperatorRow, following: set[str]) -> None:
    """Client frames until the client goes away."""
    try:
        budget = runtime.frame_budget()
        while True:
            raw = await receive(ws)
            if await spend(ws, budget):
                await _handle(ws, runtime, operator, following, raw)
    except WebSocketDisconnect:
        pass


async def _pump(ws: WebSocket, queue: asyncio.Queue[dict[str, Any]], following: set[str]) -> None:
    """Console channel → this socket: list rows for all, events and notes only for followed conversations."""
    while True:
        frame = await queue.get()
        kind = frame.get("type")
        if kind == "conversation":
            row = frame["conversation"]
            await send_frame(ws, {"type": "conversation", "conversation": row, "now": frame.get("now")})
            if row["id"] in following and frame.get("events"):
                await send_frame(ws, {"type": "events", "conversation_id": row["id"], "events": frame["events"]})
        elif kind == "note":
            if frame["conversation_id"] in following:
                await send_frame(ws, frame)
        else:
            await send_frame(ws, frame)


async def _watch_session(
    ws: WebSocket, runtime: Runtime, operator_id: int, token: str, news: asyncio.Queue[dict[str, Any]]
) -> None:
    """Return after closing the socket once its session has ended: re-checked when the operator's sessions are
    announced ended, and every `SESSION_CHECK_SECONDS` anyway."""
    loop = asyncio.get_running_loop()
    check_at = loop.time() + SESSION_CHECK_SECONDS
    while True:
        with contextlib.suppress(TimeoutError):
            frame = await asyncio.wait_for(news.get(), max(0.0, check_at - loop.time()))
            if frame.get("operator_id") != operator_id:
                continue  # another operator's sessions; the periodic check keeps its time
        check_at = loop.time() + SESSION_CHECK_SECONDS
        if await asyncio.to_thread(runtime.operator_auth.authenticate, token) is None:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):  # the client left meanwhile
                await send_frame(ws, error_frame("session_ended", SESSION_ENDED))
                await ws.close(code=4401)
            return


async def _handle(
    ws: WebSocket, runtime: Runtime, operator: OperatorRow, following: set[str], raw: str | bytes
) -> None:
    frame = read_frame(raw, ClientFrame, MAX_FRAME_BYTES)
    if isinstance(frame, dict):
        await send_frame(ws, frame)
        return
    try:
        if isinstance(frame, Open):
            await actions.conversation_state(runtime, frame.conversation_id)
            if frame.conversation_id not in following and len(following) >= MAX_OPEN:
                raise ApiError(409, "too_many_open", f"Follow at most {MAX_OPEN} conversations at once.")
            following.add(frame.conversation_id)
            if frame.after is not None:
                events = await runtime.agent.store.load(frame.conversation_id, after=frame.after)
                await send_frame(
                    ws,
                    {
                        "type": "events",
                        "conversation_id": frame.conversation_id,
                        "events": [e.to_dict() for e in events],
                    },
                )
        elif isinstance(frame, Close):
            following.discard(frame.conversation_id)
        elif isinstance(frame, Typing):
            await actions.typing(runtime, frame.conversation_id, operator, frame.on)
        else:
            await send_frame(ws, {"type": "pong"})
    except ApiError as exc:
        await send_frame(
            ws, {**error_frame(exc.code, exc.message), "conversation_id": getattr(frame, "conversation_id", None)}
        )
