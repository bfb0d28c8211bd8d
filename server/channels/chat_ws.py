"""`WS /ws/chat/{id}`: the widget's socket.

Opening (the token never goes in the URL, which ends up in access logs, proxies and browser history):
1. A browser's `Origin` must be this server's own or one of `KEFU_HTTP_ALLOWED_ORIGINS`, else an `error`
   frame `bad_origin` and close 4403, before anything else. A URL with `?token=` is refused (`token_in_url`,
   4400).
2. The client's first frame is `{"type": "auth", "token": "<conversation token>"}`, within 10 s of opening.
   Any other frame first: `not_authenticated`, close 4401; a wrong token: `invalid_token`, 4403; an unknown
   conversation: `unknown_conversation`, 4404; no frame in time: `auth_timeout`, 4408.
3. The server answers `{"type": "ready", "conversation_id"}`; only then does the socket receive the
   conversation's frames and accept other client frames.

Client frames after `ready`: `user_message`, `resume`, `csat`, `typing` (`{"type": "typing", "on": bool}`,
shown to operators in the console), `interaction` (`{"type": "interaction", "kind", "product_id"}`, a product
card's action; answered with `interaction_recorded`). A turn ends with its `bot_message` (or an `error` frame).
The bot's `typing` frame (`{"type": "typing", "who": "bot", "on": true}`) is sent only when a turn has not ended
within `KEFU_HTTP_TYPING_DELAY_MS` (300 ms), and `on: false` follows when it ends; a turn answered sooner sends no
`typing` frames at all (as a chat app shows "typing…" only when a reply takes a while). Server frames come from the
conversation's pub/sub channel (so operator messages, operator typing and `csat_request` reach this socket too);
`resume` replays
the event log after a sequence number (send it after every `ready`, reconnects included). A bad frame gets an `error`
frame; the socket stays open. A `user_message` the worker has no room for is answered with an `error` frame `busy`
(`retry_after_ms`, `client_msg_id`) and not recorded: send it again after that delay. Refusals are an `error`
frame, then close with 4000 + the HTTP status.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from agent.errors import InvalidMessage
from agent.events import CsatGiven
from agent.pipeline import TurnInput, UnrecordedTurn
from server.api.deps import CONVERSATION_ID, MAX_SEQ, allowed_origin, authorize, client_ip
from server.api.fields import StoredText
from server.api.interactions import Interaction, record_interaction, recorded_frame
from server.channels.budget import spend
from server.channels.frames import (
    error_frame,
    event_frame,
    first_frame_token,
    read_frame,
    receive,
    refuse,
    refuse_token_in_url,
    send_frame,
)
from server.errors import ApiError
from server.infra.admission import TurnsBusy
from server.infra.metrics import TURN_SECONDS
from server.infra.rate_limits import RateLimited
from server.runtime import Runtime

log = logging.getLogger(__name__)
router = APIRouter()

MAX_FRAME_BYTES = 16 * 1024


class UserMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Literal["user_message"]
    text: StoredText = Field(min_length=1)
    client_msg_id: StoredText | None = Field(default=None, max_length=64)


class Resume(BaseModel):
    type: Literal["resume"]
    after: int = Field(ge=0, le=MAX_SEQ)


class Csat(BaseModel):
    type: Literal["csat"]
    score: int = Field(ge=1, le=5)


class Typing(BaseModel):
    type: Literal["typing"]
    on: bool


class InteractionFrame(Interaction):
    """`{"type": "interaction", "kind", "product_id"}`: answered with `interaction_recorded` (or an `error`)."""

    type: Literal["interaction"]


ClientFrame = TypeAdapter(
    Annotated[UserMessage | Resume | Csat | Typing | InteractionFrame, Field(discriminator="type")]
)


@router.websocket("/ws/chat/{conversation_id}")
async def chat_socket(ws: WebSocket, conversation_id: str) -> None:
    runtime: Runtime = ws.app.state.runtime
    await ws.accept()
    if not allowed_origin(ws, ws.app.state.allowed_origins):
        await refuse(ws, "bad_origin", "This chat cannot be embedded on this site (its origin is not allowed).", 403)
        return
    ip = client_ip(ws)
    if not runtime.sockets.take(ip):
        await refuse(ws, "too_many_sockets", "Too many open connections from this address.", 429)
        return
    try:
        await _chat(ws, runtime, conversation_id)
    except WebSocketDisconnect:
        pass  # left before authenticating
    finally:
        runtime.sockets.give_back(ip)


async def _chat(ws: WebSocket, runtime: Runtime, conversation_id: str) -> None:
    try:
        refuse_token_in_url(ws)
        token = await first_frame_token(ws)
        if not re.fullmatch(CONVERSATION_ID.strip("^$"), conversation_id):
            raise ApiError(404, "unknown_conversation", "No such conversation.")
        await authorize(runtime, conversation_id, token)
    except ApiError as exc:
        await refuse(ws, exc.code, exc.message, exc.status)
        return

    async with runtime.pubsub.subscribe(conversation_id) as queue:
        # subscribed before `ready`: between what the client's `resume` replays and what arrives live, no gap
        await send_frame(ws, {"type": "ready", "conversation_id": conversation_id})
        pump = asyncio.create_task(_pump(ws, queue))
        budget = runtime.frame_budget()
        try:
            while True:
                raw = await receive(ws)
                if await spend(ws, budget):
                    await _answered_frame(ws, runtime, conversation_id, raw)
        except WebSocketDisconnect:
            pass
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pump


async def _pump(ws: WebSocket, queue: asyncio.Queue[dict[str, Any]]) -> None:
    while True:
        frame = await queue.get()
        await send_frame(ws, frame)


async def _answered_frame(ws: WebSocket, runtime: Runtime, conversation_id: str, raw: str | bytes) -> None:
    """`_handle_frame`, where a failure inside answers this frame with an `error` frame and the socket stays open
    (a failed turn is answered by the agent itself: its apology is a `bot_message`)."""
    try:
        await _handle_frame(ws, runtime, conversation_id, raw)
    except (WebSocketDisconnect, asyncio.CancelledError):
        raise
    except Exception as exc:
        log.error("chat frame in %s failed: %s", conversation_id, type(exc).__name__, exc_info=exc)
        await send_frame(ws, error_frame("internal_error", "Something went wrong on our side; please try again."))


async def _handle_frame(ws: WebSocket, runtime: Runtime, conversation_id: str, raw: str | bytes) -> None:
    frame = read_frame(raw, ClientFrame, MAX_FRAME_BYTES)
    if isinstance(frame, dict):
        await send_frame(ws, frame)
        return
    if isinstance(frame, UserMessage):
        try:  # admitted first: a message shed as `busy` is not charged to the sender's message limits
            async with runtime.turns().admit():
                if not await _over_limits(ws, runtime, (("message_ip", client_ip(ws)),
                                                        ("message_conversation", conversation_id))):
                    await _turn(ws, runtime, conversation_id, frame)
        except TurnsBusy as exc:  # not admitted, nothing recorded: the client sends the same message again later
            await send_frame(ws, {**error_frame("busy", exc.message(frame.text)),
                                  "retry_after_ms": exc.retry_after_ms, "client_msg_id": frame.client_msg_id})
        return
    if isinstance(frame, Csat) and await _over_limits(ws, runtime, (("csat_conversation", conversation_id),)):
        return
    if isinstance(frame, Resume):
        state = (await runtime.agent.state(conversation_id)).public()
        events = await runtime.agent.store.load(conversation_id, after=frame.after)
        names = await runtime.console.names.for_events(events)
        for event in events:
            out = event_frame(event, state, names)
            if out is not None:
                await send_frame(ws, out)
    elif isinstance(frame, Typing):
        await runtime.console.customer_typing(conversation_id, frame.on)
    elif isinstance(frame, InteractionFrame):
        try:
            event = await record_interaction(runtime, conversation_id, frame, client_ip(ws))
        except ApiError as exc:
            await send_frame(ws, error_frame(exc.code, exc.message))
            return
        await send_frame(ws, recorded_frame(event))
    else:
        if (await runtime.agent.state(conversation_id)).csat is not None:  # one rating per conversation
            await send_frame(ws, error_frame("csat_already_given", "This conversation has been rated already."))
            return
        await runtime.agent.record(conversation_id, [CsatGiven(conversation_id=conversation_id, score=frame.score)])


async def _over_limits(ws: WebSocket, runtime: Runtime, kinds: tuple[tuple[str, str], ...]) -> bool:
    """Count the frame against each limit; over one, answer `rate_limited` (the socket stays open) and say so."""
    try:
        for kind, key in kinds:
            await runtime.rate_limits.hit(kind, key)
    except RateLimited as exc:
        await send_frame(ws, {**error_frame("rate_limited", exc.message), "retry_after": exc.retry_after})
        return True
    return False


class _BotTyping:
    """One turn's `typing` frames: `on` once the turn has gone `delay_s` without ending (a timer, not a task: most
    turns end sooner and cost nothing but the timer), `off` at its end only if `on` was sent."""

    def __init__(self, ws: WebSocket, delay_s: float) -> None:
        self._ws = ws
        self._on: asyncio.Future[None] | None = None
        self._timer = asyncio.get_running_loop().call_later(delay_s, self._start)

    def _start(self) -> None:
        self._on = asyncio.ensure_future(send_frame(self._ws, {"type": "typing", "who": "bot", "on": True}))

    async def end(self) -> None:
        self._timer.cancel()
        if self._on is not None:
            await self._on  # `on` written before `off`
            await send_frame(self._ws, {"type": "typing", "who": "bot", "on": False})


async def _turn(ws: WebSocket, runtime: Runtime, conversation_id: str, frame: UserMessage) -> None:
    """One admitted customer turn; its reply reaches the socket through the conversation's channel."""
    typing = _BotTyping(ws, runtime.settings.http.typing_delay_ms / 1000)
    try:
        with TURN_SECONDS.time():
            await runtime.agent.handle(
                conversation_id,
                TurnInput(frame.text, client_msg_id=frame.client_msg_id),
                on_token=runtime.token_sink(conversation_id),
            )
    except InvalidMessage as exc:
        await send_frame(ws, error_frame("invalid_message", str(exc)))
    except UnrecordedTurn as exc:  # failed, and not even the apology could be recorded: say it here, unrecorded
        await send_frame(ws, {**error_frame("turn_failed", exc.apology), "client_msg_id": frame.client_msg_id})
    finally:
        await typing.end()
