"""`WS /ws/voice` over the real app and runtime, with fake recogniser and voices: a signed caller's call becomes a
`voice` conversation whose reply comes back as Twilio media and marks; refusals close the socket with a reason;
unreadable frames are dropped and the call goes on."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from agent.events import BotUttered, UserUttered
from server.app import create_app
from server.db.orders import SqlOrderRepository
from server.infra.voice import VoiceEngines, phrases
from server.runtime import Runtime, build_runtime
from server.settings import Settings, VoiceSettings
from tests.fakes import KeywordRetriever
from tests.fakes.voice import EnergyVAD, ScriptedASR, ToneTTS, silence, tone
from tests.server.console_support import small_store
from tests.services import TEST_IDENTITY_SECRET, signed
from voice.codecs import ulaw_encode
from voice.text import sentences
from voice.tts import ByLanguage

pytestmark = pytest.mark.integration

CUSTOMER = "C00001"


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return small_store(tmp_path_factory, "voice", customers=20, orders=150)


@pytest.fixture
def runtime(store_url: str) -> Iterator[Runtime]:
    settings = Settings(database_url=store_url, identity_secret=TEST_IDENTITY_SECRET)
    rt = build_runtime(settings, retriever=KeywordRetriever(), warm=False)
    yield rt
    rt.close()


def with_fakes(runtime: Runtime, lines: list[str]) -> tuple[ScriptedASR, ToneTTS]:
    asr, tts = ScriptedASR(lines), ToneTTS(ms_per_char=2)
    runtime.voice_engines = VoiceEngines(asr=asr, tts=ByLanguage({"zh": tts, "en": tts}), vad=EnergyVAD(),
                                         phrases=phrases(), settings=VoiceSettings())
    return asr, tts


def start(params: dict[str, str], **fmt: Any) -> str:
    media = {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1, **fmt}
    return json.dumps({"event": "start", "streamSid": "MZ1", "start": {
        "streamSid": "MZ1", "callSid": "CA1", "customParameters": params, "mediaFormat": media}})


def media(pcm: np.ndarray) -> list[str]:
    data = ulaw_encode(pcm)
    return [json.dumps({"event": "media", "streamSid": "MZ1", "media": {
        "payload": base64.b64encode(data[i:i + 160]).decode()}}) for i in range(0, len(data), 160)]


def replied(runtime: Runtime, got: list[dict[str, Any]]) -> bool:
    """The reply is recorded and a mark came for each of its sentences."""
    rows = runtime.conversations.list_recent(limit=1)
    events = runtime.agent.store.load_sync(rows[0].id) if rows else []  # type: ignore[attr-defined]
    reply = [e.text for e in events if isinstance(e, BotUttered)]
    return bool(reply) and sum(m["event"] == "mark" for m in got) >= len(sentences(reply[0]))


def test_a_signed_callers_question_is_answered_as_twilio_media_and_marks(runtime: Runtime) -> None:
    order = SqlOrderRepository(runtime.sessions).list_orders(CUSTOMER, limit=1)[0]
    asr, _ = with_fakes(runtime, [f"Where is my order {order.order_id}?"])
    with TestClient(create_app(runtime.settings, runtime=runtime)) as client, \
            client.websocket_connect("/ws/voice") as ws:
        ws.send_text(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        ws.send_text(start({**signed(CUSTOMER), "language": "en"}))
        ws.send_text("{not json")  # unreadable: dropped, the call goes on
        ws.send_text(json.dumps({"event": "media", "media": {"payload": "***"}}))
        for frame in media(np.concatenate([tone(600), silence(800)])):
            ws.send_text(frame)
        got: list[dict[str, Any]] = []
        while not replied(runtime, got):  # (the caller spoke at once: the greeting was cut before a word of it)
            got.append(json.loads(ws.receive_text()))
            if got[-1]["event"] == "mark":
                ws.send_text(json.dumps({"event": "mark", "streamSid": "MZ1", "mark": got[-1]["mark"]}))
        ws.send_text(json.dumps({"event": "stop", "streamSid": "MZ1"}))
    assert len(asr.heard_s) == 1 and 0.5 < asr.heard_s[0] < 1.5  # one utterance, the garbage frames not in it
    assert got[0]["event"] == "media" and got[0]["streamSid"] == "MZ1"
    assert base64.b64decode(got[0]["media"]["payload"])  # μ-law audio
    row = runtime.conversations.list_recent(limit=1)[0]
    assert row.channel == "voice" and row.customer_id == CUSTOMER and row.language == "en"
    events = runtime.agent.store.load_sync(row.id)  # type: ignore[attr-defined]
    assert [e.text for e in events if isinstance(e, UserUttered)] == [f"Where is my order {order.order_id}?"]
    assert any(order.order_id in e.text for e in events if isinstance(e, BotUttered))


@pytest.mark.parametrize(("params", "fmt", "code"), [
    ({"customer_id": CUSTOMER, "customer_sig": "0" * 64}, {}, 4401),  # a wrong signature
    ({"api_key": "not-a-key"}, {}, 4401),
    ({}, {"encoding": "audio/x-l16", "sampleRate": 16000}, 1003),  # not what the socket carries
])
def test_refused_calls_are_closed_with_a_reason_and_open_no_conversation(runtime: Runtime, params: dict[str, str],
                                                                         fmt: dict[str, Any], code: int) -> None:
    with_fakes(runtime, [])
    before = len(runtime.conversations.list_recent(limit=500))
    with TestClient(create_app(runtime.settings, runtime=runtime)) as client, \
            client.websocket_connect("/ws/voice") as ws:
        ws.send_text(start(params, **fmt))
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == code
    assert len(runtime.conversations.list_recent(limit=500)) == before
