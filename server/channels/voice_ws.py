"""`WS /ws/voice` (Twilio Media Streams) and `WS /ws/voice/pcm` (16 kHz PCM, for browsers): the phone line.

Each call is a conversation with channel `voice`, in the console like any other. Who calls is what the store
says in the stream's custom parameters (TwiML `<Parameter>`s, or the browser's `start` frame): `customer_id`
with `customer_sig` = HMAC-SHA256(store secret, customer_id), as on the widget, or the store backend's `api_key`;
without a valid proof the call is anonymous. `language` (zh | en) fixes the call's language; without it the
recogniser decides from the first words.

With a Twilio auth token configured (`KEFU_VOICE__TWILIO_AUTH_TOKEN`), `/ws/voice` first checks Twilio's request
signature on the upgrade (`twilio_signature`): without a valid one the socket is closed with 4403 `bad_signature`.

A provider cannot read error frames: a stream in a format the socket does not carry (not 8 kHz μ-law mono on
Twilio's, not 16 kHz PCM on the browser's) is closed with 1003 and the reason; a refused caller with 4000 + the
HTTP status (4401 bad signature, 4404 unknown customer, 4429 too many calls). A frame that cannot be read is
dropped and counted; the call goes on (a stream of nothing but bad frames is closed, 1008).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from server.api.deps import allowed_origin, client_ip
from server.channels.frames import receive
from server.channels.twilio_signature import is_signed
from server.db.orders import SqlOrderRepository
from server.infra.rate_limits import RateLimited
from server.runtime import Runtime
from voice.call import Call
from voice.frames import CallStarted, FrameError, InFrame, OutFrame, UnsupportedFormat
from voice.serializers import PcmSerializer, Serializer, TwilioSerializer

log = logging.getLogger(__name__)
router = APIRouter()

START_TIMEOUT_S = 10.0
MAX_BAD_IN_A_ROW = 500  # 10 s of unreadable 20 ms frames


class Refused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


@router.websocket("/ws/voice")
async def twilio_socket(ws: WebSocket) -> None:
    voice = ws.app.state.runtime.settings.voice
    token = voice.twilio_auth_token.get_secret_value()
    if token and not is_signed(ws, token, voice.public_url):
        log.info("voice call refused: no valid Twilio signature")
        await ws.accept()
        await ws.close(code=4403, reason="bad_signature")
        return
    await _serve(ws, TwilioSerializer())


@router.websocket("/ws/voice/pcm")
async def pcm_socket(ws: WebSocket) -> None:
    if not allowed_origin(ws, ws.app.state.allowed_origins):
        await ws.close(code=4403, reason="bad_origin")
        return
    await _serve(ws, PcmSerializer())


async def _serve(ws: WebSocket, serializer: Serializer) -> None:
    runtime: Runtime = ws.app.state.runtime
    await ws.accept()
    ip = client_ip(ws)
    if not runtime.sockets.take(ip):
        await ws.close(code=4429, reason="too_many_sockets")
        return
    try:
        await _call(ws, runtime, serializer, ip)
    except Refused as exc:
        log.info("voice call refused: %s", exc.reason)
        await _close(ws, exc.code, exc.reason)
    except WebSocketDisconnect:
        pass
    finally:
        runtime.sockets.give_back(ip)


async def _close(ws: WebSocket, code: int, reason: str) -> None:
    if ws.client_state == WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            await ws.close(code=code, reason=reason[:120])


async def _call(ws: WebSocket, runtime: Runtime, serializer: Serializer, ip: str) -> None:
    started = await _wait_for_start(ws, serializer)
    conversation_id, language, customer_id = await _open_conversation(runtime, started, ip)
    engines = runtime.voice()
    known = await asyncio.to_thread(_order_ids, runtime, customer_id) if customer_id else []
    lock = asyncio.Lock()

    async def send(frame: OutFrame) -> None:
        async with lock:  # one reply's audio frames are not interleaved with a `clear`
            for message in serializer.encode(frame):
                if isinstance(message, bytes):
                    await ws.send_bytes(message)
                else:
                    await ws.send_text(message)

    captions = None
    if isinstance(serializer, PcmSerializer):  # the browser shows the call's words as it goes

        async def captions(who: str, text: str) -> None:
            async with lock:
                await ws.send_text(json.dumps({"event": "transcript", "who": who, "text": text},
                                              ensure_ascii=False))

    call = Call(agent=runtime.agent, conversation_id=conversation_id, asr=engines.asr, tts=engines.tts,
                vad=engines.vad, send=send, phrases=engines.phrases, config=engines.call_config(language),
                known_ids=known, emotion=engines.emotion)
    log.info("voice call %s started (%s, %s)", conversation_id, language or "language from speech",
             "verified customer" if started.params.get("customer_id") else "anonymous")
    await call.on_frame(started)
    try:
        async with runtime.pubsub.subscribe(conversation_id) as queue:
            relay = asyncio.create_task(_relay(queue, call, captions))
            try:
                await call.run(_frames(ws, serializer, call))
            finally:
                relay.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await relay
    finally:
        log.info("voice call %s ended: %d turn(s), %d unreadable frame(s)", conversation_id, len(call.turns),
                 call.bad_frames)
        await _close(ws, 1000, "call ended")


_CAPTIONED = {"user_message": "caller", "bot_message": "bot", "operator_message": "operator"}


async def _relay(queue: asyncio.Queue[dict[str, Any]], call: Call,
                 captions: Callable[[str, str], Awaitable[None]] | None) -> None:
    """The conversation's live frames that concern the caller: an operator's messages are spoken to them, and
    while the call is queued for or held by a person, silence does not end it. A browser caller also gets the
    call's words as `transcript` frames (who: caller | bot | operator)."""
    while True:
        frame = await queue.get()
        who = _CAPTIONED.get(str(frame.get("type")))
        if captions is not None and who and frame.get("text"):
            with contextlib.suppress(Exception):
                await captions(who, str(frame["text"]))
        if frame.get("type") == "operator_message" and frame.get("text"):
            call.operator_said(str(frame["text"]))
        elif frame.get("type") == "handoff":
            call.hold(frame.get("status") != "bot")


async def _wait_for_start(ws: WebSocket, serializer: Serializer) -> CallStarted:
    async def first() -> CallStarted:
        while True:
            try:
                frame = serializer.decode(await receive(ws))
            except UnsupportedFormat as exc:
                raise Refused(1003, str(exc)) from None
            except FrameError:
                continue
            if isinstance(frame, CallStarted):
                return frame

    try:
        return await asyncio.wait_for(first(), START_TIMEOUT_S)
    except TimeoutError:
        raise Refused(4408, "no start frame") from None


def _order_ids(runtime: Runtime, customer_id: str) -> list[str]:
    """The verified caller's recent order ids: what a misheard spoken id is matched against (theirs only)."""
    return [o.order_id for o in SqlOrderRepository(runtime.sessions).list_orders(customer_id, limit=50)]


async def _open_conversation(runtime: Runtime, started: CallStarted, ip: str) -> tuple[str, str | None, str | None]:
    params = started.params
    try:
        await runtime.rate_limits.hit("conversation_ip", ip)
    except RateLimited:
        raise Refused(4429, "rate_limited") from None
    language = params.get("language") if params.get("language") in ("zh", "en") else None
    customer_id = _caller(runtime, params)
    if customer_id is not None and await asyncio.to_thread(runtime.customers.get, customer_id) is None:
        raise Refused(4404, "unknown_customer")
    conversation_id, _token = await asyncio.to_thread(
        runtime.conversations.create, channel="voice", customer_id=customer_id, language=language)
    await runtime.agent.start(conversation_id, channel="voice", customer_id=customer_id, language=language)
    return conversation_id, language, customer_id


def _caller(runtime: Runtime, params: dict[str, str]) -> str | None:
    """The customer the store vouches for in the stream's parameters, or None (anonymous). A presented but wrong
    proof is refused, not treated as anonymous: the store's own line is misconfigured or someone is guessing."""
    customer_id = (params.get("customer_id") or "").strip()[:32] or None
    if params.get("api_key"):
        if not runtime.identity.is_api_key(params["api_key"]):
            raise Refused(4401, "invalid_api_key")
        return customer_id
    if customer_id is None:
        return None
    if params.get("customer_sig"):
        if not runtime.identity.verify(customer_id, params["customer_sig"]):
            raise Refused(4401, "invalid_signature")
        return customer_id
    return None


async def _frames(ws: WebSocket, serializer: Serializer, call: Call) -> AsyncIterator[InFrame]:
    bad = 0
    while True:
        try:
            raw = await receive(ws)
        except WebSocketDisconnect:
            return
        try:
            frame = serializer.decode(raw)
        except UnsupportedFormat as exc:
            log.info("voice call %s: %s", call.conversation_id, exc)
            await _close(ws, 1003, str(exc))
            return
        except FrameError as exc:
            call.bad_frames += 1
            bad += 1
            if bad == 1:
                log.info("voice call %s: unreadable frame dropped (%s)", call.conversation_id, exc)
            if bad >= MAX_BAD_IN_A_ROW:
                await _close(ws, 1008, "unreadable frames")
                return
            continue
        bad = 0
        if frame is not None:
            yield frame
