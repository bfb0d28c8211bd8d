"""The voice channel's ports: voice-activity detection, speech recognition, speech synthesis, speech emotion, and
what a call needs of the agent (`Conversations`, which `agent.pipeline.Agent` is).

Bundled implementations live in `asr/`, `tts/` and `vad.py`; production ones (a recognition or synthesis
server) implement the same protocols. All are blocking and CPU-bound: the call loop runs them in threads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from agent.events import Event
from agent.turns import SpeechCues, TurnInput


@runtime_checkable
class VAD(Protocol):
    """Is there speech in one frame of 16-bit PCM (10, 20 or 30 ms at `sample_rate`)?"""

    def is_speech(self, frame: np.ndarray, sample_rate: int) -> bool: ...


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    language: str  # zh | en: what was asked for, or what the recogniser heard
    audio_s: float  # length of the audio recognised
    decode_s: float = 0.0  # wall-clock time the recogniser took


@runtime_checkable
class ASR(Protocol):
    """Speech → text. `audio` is float32 mono at 16 kHz; `language` None lets the recogniser choose zh or en.
    A recogniser whose `transcribe` also takes `stop` (a `threading.Event`) may give a decode up between its passes
    once it is set, raising `Superseded`: the decode at a pause that the caller spoke on after (`voice.asr.partial`).
    One that also takes `gate` (a `threading.Event`) holds its decoder pass until it is set: the pause's decode may
    then start before the pause is confirmed (`CallConfig.early_ms`)."""

    def transcribe(self, audio: np.ndarray, language: str | None) -> Transcript: ...


class Superseded(Exception):
    """A decode given up before its end because nobody wants it any more (its `stop` was set)."""


@dataclass(frozen=True, slots=True)
class Speech:
    pcm: np.ndarray  # int16 mono
    sample_rate: int

    @property
    def seconds(self) -> float:
        return len(self.pcm) / self.sample_rate if self.sample_rate else 0.0


@runtime_checkable
class TTS(Protocol):
    """Text (one sentence, in `language`) → speech."""

    def synthesize(self, text: str, language: str) -> Speech: ...


@runtime_checkable
class SpeechEmotion(Protocol):
    """What the voice says besides the words (angry, happy, neutral, sad), for the agent's affect fusion."""

    def read(self, audio: np.ndarray, sample_rate: int) -> SpeechCues: ...


class _Said(Protocol):
    text: str


class _Believed(Protocol):
    language: str


class TurnOutcome(Protocol):
    reply: _Said
    state: _Believed


class Conversations(Protocol):
    """The agent as a call uses it (`agent.pipeline.Agent`): run a turn with its reply streamed to `on_token`,
    interrupt a running turn with what the caller heard of it, append events (an interruption, a handoff)."""

    def handle(self, conversation_id: str, turn: TurnInput, *,
               on_token: Callable[[str], Awaitable[None]] | None = None) -> Awaitable[TurnOutcome]: ...

    def interrupt(self, conversation_id: str, *, heard: str | None = None, reason: str = "cancelled") -> bool: ...

    def record(self, conversation_id: str, events: Sequence[Event]) -> Awaitable[Any]: ...
