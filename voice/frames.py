"""What flows through a call, whatever the wire: frames a serializer reads from the telephony socket (`In…`) and
frames the call loop hands back to it (`Out…`). The call loop sees only these; `serializers/` own the wire."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, slots=True)
class CallStarted:
    """The stream opened: who is calling (the provider's custom parameters), and the audio's format."""

    call_id: str
    stream_id: str
    sample_rate: int
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AudioIn:
    """A chunk of the caller's audio, 16-bit PCM (typically 20 ms)."""

    pcm: np.ndarray
    sample_rate: int


@dataclass(frozen=True, slots=True)
class DtmfIn:
    digit: str


@dataclass(frozen=True, slots=True)
class MarkPlayed:
    """The provider played every audio frame sent before the mark of this name."""

    name: str


@dataclass(frozen=True, slots=True)
class CallEnded:
    reason: str = "hangup"


InFrame = CallStarted | AudioIn | DtmfIn | MarkPlayed | CallEnded


@dataclass(frozen=True, slots=True)
class AudioOut:
    """Speech to play to the caller, 16-bit PCM at its own rate (the serializer converts)."""

    pcm: np.ndarray
    sample_rate: int


@dataclass(frozen=True, slots=True)
class MarkOut:
    """Ask to be told (`MarkPlayed`) when everything sent before this has been played."""

    name: str


@dataclass(frozen=True, slots=True)
class ClearOut:
    """Drop every queued audio frame at once (the caller barged in)."""


OutFrame = AudioOut | MarkOut | ClearOut


class FrameError(ValueError):
    """A frame the serializer cannot read (bad JSON, unknown event, bad base64, wrong format); the message says
    what was wrong. The call goes on: one bad frame is dropped, not the call."""


class UnsupportedFormat(FrameError):
    """The stream's audio is in a format this serializer does not carry: the call cannot go on."""
