"""The browser's wire: 16 kHz 16-bit little-endian mono PCM in binary frames, control in JSON text frames.

In: binary audio; `{"event": "start", "sampleRate": 16000, "customParameters": {…}}`, `{"event": "dtmf",
"digit"}`, `{"event": "mark", "name"}` (played up to here), `{"event": "stop"}`. Out: binary audio at 16 kHz,
`{"event": "mark", "name"}`, `{"event": "clear"}`; and from the socket, `{"event": "transcript", "who", "text"}`
(the call's words, for the page to show). The same events as Twilio's, without base64.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from voice.frames import (
    AudioIn,
    AudioOut,
    CallEnded,
    CallStarted,
    ClearOut,
    DtmfIn,
    FrameError,
    InFrame,
    MarkOut,
    MarkPlayed,
    OutFrame,
    UnsupportedFormat,
)
from voice.resample import resample, to_int16

RATE = 16000
MAX_AUDIO_BYTES = 64 * 1024
MAX_TEXT_CHARS = 4 * 1024


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Start(_Loose):
    event: Literal["start"]
    sampleRate: int = RATE
    customParameters: dict[str, str] = Field(default_factory=dict)


class _Dtmf(_Loose):
    event: Literal["dtmf"]
    digit: str = Field(min_length=1, max_length=1)


class _Mark(_Loose):
    event: Literal["mark"]
    name: str = Field(max_length=128)


class _Stop(_Loose):
    event: Literal["stop"]


_FRAME = TypeAdapter(Annotated[_Start | _Dtmf | _Mark | _Stop, Field(discriminator="event")])


class PcmSerializer:
    def __init__(self, call_id: str = "browser") -> None:
        self.call_id = call_id

    def decode(self, raw: str | bytes) -> InFrame | None:
        if isinstance(raw, bytes):
            if not raw or len(raw) % 2 or len(raw) > MAX_AUDIO_BYTES:
                raise FrameError("audio frames are whole 16-bit samples, at most 64 KiB")
            return AudioIn(np.frombuffer(raw, dtype="<i2").astype(np.int16), RATE)
        if len(raw) > MAX_TEXT_CHARS:
            raise FrameError(f"frame longer than {MAX_TEXT_CHARS} characters")
        try:
            frame = _FRAME.validate_json(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise FrameError("malformed JSON" if first["type"] == "json_invalid" else f"bad frame: {first['msg']}") \
                from None
        if isinstance(frame, _Start):
            if frame.sampleRate != RATE:
                raise UnsupportedFormat(f"unsupported sample rate {frame.sampleRate} Hz: send 16000 Hz PCM")
            return CallStarted(self.call_id, self.call_id, RATE, dict(frame.customParameters))
        if isinstance(frame, _Dtmf):
            return DtmfIn(frame.digit)
        if isinstance(frame, _Mark):
            return MarkPlayed(frame.name)
        return CallEnded("stop")

    def encode(self, frame: OutFrame) -> list[str | bytes]:
        if isinstance(frame, AudioOut):
            pcm = frame.pcm if frame.sample_rate == RATE else to_int16(resample(frame.pcm, frame.sample_rate, RATE))
            return [np.asarray(pcm, dtype="<i2").tobytes()]
        if isinstance(frame, MarkOut):
            return [self._json({"event": "mark", "name": frame.name})]
        if isinstance(frame, ClearOut):
            return [self._json({"event": "clear"})]
        raise TypeError(f"not an outbound frame: {frame!r}")

    @staticmethod
    def _json(frame: dict[str, Any]) -> str:
        return json.dumps(frame, separators=(",", ":"))
