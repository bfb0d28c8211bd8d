"""Wire formats of telephony sockets: each reads provider frames into `voice.frames` and writes the call loop's
frames back. `TwilioSerializer` (Media Streams JSON, 8 kHz μ-law), `PcmSerializer` (browsers, 16 kHz PCM)."""

from __future__ import annotations

from typing import Protocol

from voice.frames import InFrame, OutFrame
from voice.serializers.pcm import PcmSerializer
from voice.serializers.twilio import TwilioSerializer


class Serializer(Protocol):
    def decode(self, raw: str | bytes) -> InFrame | None: ...

    def encode(self, frame: OutFrame) -> list[str] | list[str | bytes]: ...


__all__ = ["PcmSerializer", "Serializer", "TwilioSerializer"]
