"""The wires: Twilio Media Streams and browser PCM frames read into call frames, and the call's frames written
back; anything unreadable is a `FrameError` (dropped, the call goes on), a stream in another format is refused."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from voice.codecs import ulaw_encode
from voice.frames import (
    AudioIn,
    AudioOut,
    CallEnded,
    CallStarted,
    ClearOut,
    DtmfIn,
    FrameError,
    MarkOut,
    MarkPlayed,
    UnsupportedFormat,
)
from voice.serializers import PcmSerializer, TwilioSerializer

pytestmark = pytest.mark.unit

START = {"event": "start", "streamSid": "MZ9", "start": {"streamSid": "MZ9", "callSid": "CA9",
         "customParameters": {"customer_id": "C00001", "language": "zh"},
         "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}}


def test_twilio_frames_in_and_out() -> None:
    wire = TwilioSerializer()
    assert wire.decode(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"})) is None
    started = wire.decode(json.dumps(START))
    assert started == CallStarted("CA9", "MZ9", 8000, {"customer_id": "C00001", "language": "zh"})
    pcm = (np.sin(np.arange(160) / 3) * 5000).astype(np.int16)
    payload = base64.b64encode(ulaw_encode(pcm)).decode()
    audio = wire.decode(json.dumps({"event": "media", "media": {"payload": payload}}))
    assert isinstance(audio, AudioIn) and audio.sample_rate == 8000 and np.abs(audio.pcm - pcm).max() < 300
    assert wire.decode(json.dumps({"event": "mark", "mark": {"name": "2.1"}})) == MarkPlayed("2.1")
    assert wire.decode(json.dumps({"event": "dtmf", "dtmf": {"digit": "0"}})) == DtmfIn("0")
    assert wire.decode(json.dumps({"event": "stop"})) == CallEnded("stop")
    out = [json.loads(m) for m in wire.encode(AudioOut(np.zeros(22050, dtype=np.int16), 22050))]
    assert len(out) == 50 and all(m["event"] == "media" and m["streamSid"] == "MZ9" for m in out)  # 1 s in 20 ms
    assert len(base64.b64decode(out[0]["media"]["payload"])) == 160
    assert json.loads(wire.encode(MarkOut("2.1"))[0]) == {"event": "mark", "streamSid": "MZ9", "mark": {"name": "2.1"}}
    assert json.loads(wire.encode(ClearOut())[0]) == {"event": "clear", "streamSid": "MZ9"}


@pytest.mark.parametrize("raw", [
    "{not json", "[]", json.dumps({"event": "nonsense"}), json.dumps({"event": "media", "media": {"payload": "***"}}),
    json.dumps({"event": "media", "media": {"payload": ""}}), json.dumps({"event": "dtmf", "dtmf": {"digit": "12"}}),
    "x" * 70_000, b"\x00\x01",
])
def test_unreadable_twilio_frames_are_frame_errors(raw: str | bytes) -> None:
    with pytest.raises(FrameError):
        TwilioSerializer().decode(raw)


def test_a_twilio_stream_in_another_format_is_refused() -> None:
    wrong = {**START, "start": {**START["start"], "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 16000}}}
    with pytest.raises(UnsupportedFormat, match="16000"):
        TwilioSerializer().decode(json.dumps(wrong))


def test_browser_pcm_frames() -> None:
    wire = PcmSerializer()
    assert wire.decode(json.dumps({"event": "start", "sampleRate": 16000})) == CallStarted("browser", "browser", 16000)
    audio = wire.decode(np.arange(320, dtype="<i2").tobytes())
    assert isinstance(audio, AudioIn) and audio.sample_rate == 16000 and audio.pcm[5] == 5
    with pytest.raises(FrameError):
        wire.decode(b"\x01\x02\x03")  # half a sample
    with pytest.raises(UnsupportedFormat):
        wire.decode(json.dumps({"event": "start", "sampleRate": 44100}))
    out = wire.encode(AudioOut(np.ones(8000, dtype=np.int16), 8000))[0]
    assert isinstance(out, bytes) and len(out) == 32000  # 0.5 s at 16 kHz
    assert json.loads(wire.encode(ClearOut())[0]) == {"event": "clear"}
