"""Twilio Media Streams (bidirectional, `<Connect><Stream>`): JSON text frames over the socket.

In: `connected`, `start` (stream and call ids, `customParameters` from the TwiML `<Parameter>`s, the media
format: μ-law, 8 kHz, mono), `media` (base64 μ-law, 20 ms a frame), `mark` (a mark Kefu sent has been played),
`dtmf`, `stop`. Out: `media`, `mark`, `clear` (drop the queued audio). Other providers with the same shape
(Telnyx, Plivo's, Vonage's adapters) differ only in field names.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from voice.codecs import ulaw_decode, ulaw_encode
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

RATE = 8000
FRAME_BYTES = 160  # 20 ms of 8 kHz μ-law
MAX_FRAME_CHARS = 64 * 1024


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _MediaFormat(_Loose):
    encoding: str = "audio/x-mulaw"
    sampleRate: int = RATE
    channels: int = 1


class _StartBody(_Loose):
    streamSid: str | None = None
    callSid: str = ""
    customParameters: dict[str, str] = Field(default_factory=dict)
    mediaFormat: _MediaFormat = Field(default_factory=_MediaFormat)


class _Connected(_Loose):
    event: Literal["connected"]


class _Start(_Loose):
    event: Literal["start"]
    streamSid: str | None = None
    start: _StartBody


class _MediaBody(_Loose):
    payload: str = Field(max_length=MAX_FRAME_CHARS)
    track: str = "inbound"


class _Media(_Loose):
    event: Literal["media"]
    media: _MediaBody


class _Name(_Loose):
    name: str = Field(max_length=128)


class _Mark(_Loose):
    event: Literal["mark"]
    mark: _Name


class _Digit(_Loose):
    digit: str = Field(min_length=1, max_length=1)


class _Dtmf(_Loose):
    event: Literal["dtmf"]
    dtmf: _Digit


class _Stop(_Loose):
    event: Literal["stop"]


_FRAME = TypeAdapter(Annotated[_Connected | _Start | _Media | _Mark | _Dtmf | _Stop, Field(discriminator="event")])


class TwilioSerializer:
    """Reads and writes one stream's frames (it learns the `streamSid` from `start`)."""

    def __init__(self) -> None:
        self.stream_sid = ""

    def decode(self, raw: str | bytes) -> InFrame | None:
        """The call frame `raw` holds; None for frames that say nothing to the call (`connected`, outbound-track
        media). Raises `FrameError` for a frame it cannot read, `UnsupportedFormat` for a stream it cannot carry."""
        if isinstance(raw, bytes):
            raise FrameError("binary frame: Media Streams frames are JSON text")
        if len(raw) > MAX_FRAME_CHARS:
            raise FrameError(f"frame longer than {MAX_FRAME_CHARS} characters")
        try:
            frame = _FRAME.validate_json(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise FrameError("malformed JSON" if first["type"] == "json_invalid" else f"bad frame: {first['msg']}") \
                from None
        if isinstance(frame, _Media):
            if frame.media.track not in ("inbound", "inbound_track"):
                return None
            try:
                data = base64.b64decode(frame.media.payload, validate=True)
            except (binascii.Error, ValueError):
                raise FrameError("media payload is not base64") from None
            if not data:
                raise FrameError("empty media payload")
            return AudioIn(ulaw_decode(data), RATE)
        if isinstance(frame, _Start):
            fmt = frame.start.mediaFormat
            if fmt.encoding.lower() != "audio/x-mulaw" or fmt.sampleRate != RATE or fmt.channels != 1:
                raise UnsupportedFormat(f"unsupported media format {fmt.encoding} at {fmt.sampleRate} Hz, "
                                        f"{fmt.channels} channel(s): this socket carries audio/x-mulaw, 8000 Hz, mono")
            self.stream_sid = frame.streamSid or frame.start.streamSid or ""
            return CallStarted(frame.start.callSid, self.stream_sid, RATE, dict(frame.start.customParameters))
        if isinstance(frame, _Mark):
            return MarkPlayed(frame.mark.name)
        if isinstance(frame, _Dtmf):
            return DtmfIn(frame.dtmf.digit)
        if isinstance(frame, _Stop):
            return CallEnded("stop")
        return None

    def encode(self, frame: OutFrame) -> list[str]:
        if isinstance(frame, AudioOut):
            pcm = frame.pcm if frame.sample_rate == RATE else to_int16(resample(frame.pcm, frame.sample_rate, RATE))
            data = ulaw_encode(np.asarray(pcm, dtype=np.int16))
            return [self._json({"event": "media", "streamSid": self.stream_sid,
                                "media": {"payload": base64.b64encode(data[i:i + FRAME_BYTES]).decode("ascii")}})
                    for i in range(0, len(data), FRAME_BYTES)]
        if isinstance(frame, MarkOut):
            return [self._json({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": frame.name}})]
        if isinstance(frame, ClearOut):
            return [self._json({"event": "clear", "streamSid": self.stream_sid})]
        raise TypeError(f"not an outbound frame: {frame!r}")

    @staticmethod
    def _json(frame: dict[str, Any]) -> str:
        return json.dumps(frame, separators=(",", ":"))
