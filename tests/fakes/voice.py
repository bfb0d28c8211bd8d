"""Fakes of the phone line's models, for exact call-loop tests without Whisper, Piper or espeak-ng.

- `ScriptedASR(["where is my order KF10000002", …])`: each utterance it is given is "recognised" as the next
  line of the script (every audio length it got is kept in `heard_s`).
- `ToneTTS`: a 440 Hz tone, `ms_per_char` long per character of the text, at 8 kHz; every text is kept in `said`.
- `EnergyVAD`: speech is a frame whose RMS is over a threshold (the unit tests' "caller" is a tone or silence).
- `tone(ms)`, `silence(ms)`: 8 kHz int16 audio for the caller.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from voice.protocols import Speech, Transcript

RATE = 8000


def tone(ms: int, rate: int = RATE, hz: float = 440.0, level: float = 8000.0) -> np.ndarray:
    t = np.arange(rate * ms // 1000) / rate
    return (np.sin(2 * np.pi * hz * t) * level).astype(np.int16)


def silence(ms: int, rate: int = RATE) -> np.ndarray:
    return np.zeros(rate * ms // 1000, dtype=np.int16)


class ScriptedASR:
    def __init__(self, lines: list[str], language: str = "en", delay_s: float = 0.0) -> None:
        self.lines = list(lines)
        self.language = language
        self.delay_s = delay_s
        self.heard_s: list[float] = []
        self._lock = threading.Lock()

    def transcribe(self, audio: np.ndarray, language: str | None) -> Transcript:
        time.sleep(self.delay_s)
        with self._lock:
            self.heard_s.append(len(audio) / 16000)
            text = self.lines.pop(0) if self.lines else ""
        return Transcript(text, language or self.language, len(audio) / 16000, self.delay_s)


class ToneTTS:
    def __init__(self, ms_per_char: int = 10) -> None:
        self.ms_per_char = ms_per_char
        self.said: list[tuple[str, str]] = []

    def synthesize(self, text: str, language: str) -> Speech:
        self.said.append((text, language))
        return Speech(tone(max(20, len(text) * self.ms_per_char)), RATE)


class EnergyVAD:
    def __init__(self, threshold: float = 500.0) -> None:
        self.threshold = threshold

    def is_speech(self, frame: np.ndarray, sample_rate: int) -> bool:
        return float(np.sqrt(np.mean(frame.astype(np.float64) ** 2))) > self.threshold
