"""Spoken examples for the end-of-utterance model (`voice.turn_end`): what the recogniser writes at a pause.

Text alone cannot tell "where is my parcel" (a whole question) from the same words at a pause in "where is my parcel
that I ordered last week": in the training text the first is also a prefix of longer messages. What the caller's
voice does at the pause can: a sentence's end falls and lengthens, a mid-sentence pause does not, and Whisper, which
hears that, writes a full stop or a question mark after a finished sentence and usually nothing after words cut off
in their middle. A prefix synthesised on its own would be said as a whole sentence (the voice ends it), so the cuts
here are made in the audio of the whole message, at a word's end (Whisper's word timings), where the voice was still
mid-sentence.

Each message gives two examples, both through the 8 kHz μ-law line and read by the product's recogniser with the
call's 200 ms of silence after them: the whole message, finished, and one cut at a random word boundary, unfinished.
Development only (`kefu train turn-end`), with the bundled voices and Whisper (`make voice`); a cache file keeps
what was heard so a retraining does not say everything again.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voice.call import CallConfig
from voice.codecs import ulaw_decode, ulaw_encode
from voice.resample import resample, to_int16
from voice.vad import MIN_RMS

RATE = 16000
PAUSE_S = CallConfig().pause_ms / 1000  # the call decodes at a pause after this much silence
MIN_WORDS = 3


@dataclass(frozen=True, slots=True)
class Heard:
    """What the recogniser wrote at a pause (`text`), and whether the caller had finished (`finished`)."""

    message: str
    text: str
    finished: bool
    language: str


def phone_line(pcm: np.ndarray, rate: int) -> np.ndarray:
    """Speech as a phone call delivers it: 8 kHz μ-law, back at 16 kHz float32."""
    line = to_int16(resample(pcm, rate, 8000))
    return resample(ulaw_decode(ulaw_encode(line)), 8000, RATE)


def speech_end(audio: np.ndarray) -> int:
    """The sample after the last 20 ms frame louder than the floor (the voice's own trailing silence cut off)."""
    frame = RATE // 50
    n = len(audio) // frame
    if n == 0:
        return len(audio)
    rms = np.sqrt(np.mean((audio[: n * frame].reshape(n, frame) * 32768.0) ** 2, axis=1))
    loud = np.flatnonzero(rms > MIN_RMS)
    return int(min(len(audio), (loud[-1] + 1) * frame)) if len(loud) else len(audio)


class SpokenExamples:
    """Says messages with `voices`, cuts them at word ends found by `align`, and reads each with `transcribe`.

    `voices`: language → TTS; `align(audio, language)` → the end times (s) of the words heard; `transcribe(audio,
    language)` → text (the product's recogniser)."""

    def __init__(
        self,
        voices: dict[str, Any],
        align: Callable[[np.ndarray, str], list[float]],
        transcribe: Callable[[np.ndarray, str], str],
        cache: Path | None = None,
    ) -> None:
        self.voices, self.align, self.transcribe, self.cache = voices, align, transcribe, cache
        self._known: dict[tuple[str, str], list[Heard]] = {}
        if cache is not None and cache.is_file():
            for line in cache.read_text(encoding="utf-8").splitlines():
                h = Heard(**json.loads(line))
                self._known.setdefault((h.language, h.message), []).append(h)

    def heard(self, messages: Iterable[str], language: str, count: int, rng: random.Random) -> list[Heard]:
        """Two examples each (whole, cut) for up to `count` of `messages` that say at least `MIN_WORDS` words."""
        out: list[Heard] = []
        for message in messages:
            if len(out) >= 2 * count:
                break
            pair = self._known.get((language, message))
            if pair is None:
                pair = self._say(message, language, rng)
                self._known[(language, message)] = pair
                if self.cache is not None:
                    self.cache.parent.mkdir(parents=True, exist_ok=True)
                    with self.cache.open("a", encoding="utf-8") as fh:
                        for h in pair or [Heard(message, "", False, language)]:  # a message too short: not again
                            fh.write(json.dumps(asdict(h), ensure_ascii=False) + "\n")
            out += [h for h in pair if h.text]
        return out

    def _say(self, message: str, language: str, rng: random.Random) -> list[Heard]:
        speech = self.voices[language].synthesize(message, language)
        audio = phone_line(speech.pcm, speech.sample_rate)
        ends = self.align(audio, language)
        if len(ends) < MIN_WORDS:
            return []
        pad = np.zeros(int(PAUSE_S * RATE), dtype=np.float32)
        k = rng.randrange(1, len(ends) - 1)  # after word k (1 … n-2): words left unsaid
        cut = min(len(audio), int((ends[k - 1] + 0.02) * RATE))
        whole = audio[: speech_end(audio)]
        return [
            Heard(message, self.transcribe(np.concatenate([whole, pad]), language), True, language),
            Heard(message, self.transcribe(np.concatenate([audio[:cut], pad]), language), False, language),
        ]
