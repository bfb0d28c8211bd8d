"""Voice-activity detection and end of turn.

`WebRtcVad` is the bundled detector (`webrtcvad-wheels`: the WebRTC GMM, no model file, ~µs a frame).
`TurnDetector` turns per-frame speech decisions into what a call needs: the caller started speaking (`Onset`,
which interrupts the bot's reply) and the caller finished a turn (`Utterance`, after `end_silence_ms` of
silence — or the silence the call sets for this pause with `end_after` — with a little audio from before the onset
so the first syllable is not cut).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from threading import Lock

import numpy as np

VAD_RATES = (8000, 16000, 32000, 48000)
MIN_RMS = 150.0  # int16 RMS: a frame quieter than this is not speech, whatever the detector says


class WebRtcVad:
    """The WebRTC detector; `aggressiveness` 0 (keeps most audio as speech) … 3 (the strictest). Frames of 10,
    20 or 30 ms at 8, 16, 32 or 48 kHz; anything else is not speech. A frame quieter than `min_rms` (about
    -47 dBFS by default) is not speech either: the detector alone takes faint line noise for speech, and a
    false onset would cut the bot off."""

    def __init__(self, aggressiveness: int = 2, *, min_rms: float = MIN_RMS) -> None:
        import webrtcvad

        self._vad = webrtcvad.Vad(aggressiveness)
        self.min_rms = min_rms
        self._lock = Lock()  # one C object; calls are microseconds

    def is_speech(self, frame: np.ndarray, sample_rate: int) -> bool:
        n = len(frame)
        if sample_rate not in VAD_RATES or n * 1000 not in (10 * sample_rate, 20 * sample_rate, 30 * sample_rate):
            return False
        if float(np.sqrt(np.mean(np.square(frame, dtype=np.float64)))) < self.min_rms:
            return False
        with self._lock:
            return bool(self._vad.is_speech(np.asarray(frame, dtype=np.int16).tobytes(), sample_rate))


@dataclass(frozen=True, slots=True)
class Onset:
    """The caller started speaking (`onset_ms` of speech heard)."""


@dataclass(frozen=True, slots=True)
class Utterance:
    """One turn of the caller's speech, int16 at the detector's rate, from just before the onset to the end of
    speech (trailing silence trimmed to `tail_ms`)."""

    pcm: np.ndarray
    sample_rate: int
    speech_ms: int  # frames judged speech
    silence_ms: int = 0  # the silence that ended it (0: cut at `max_speech_s`)

    @property
    def seconds(self) -> float:
        return len(self.pcm) / self.sample_rate


class TurnDetector:
    """Per-call state machine over fixed-size frames: idle → speaking (Onset) → idle (Utterance)."""

    def __init__(
        self,
        sample_rate: int,
        *,
        frame_ms: int = 20,
        onset_ms: int = 100,
        end_silence_ms: int = 600,
        preroll_ms: int = 300,
        tail_ms: int = 200,
        max_speech_s: float = 20.0,
        min_speech_ms: int = 160,
    ) -> None:
        self.sample_rate = sample_rate
        self.frame_ms = frame_ms
        self._onset = max(1, onset_ms // frame_ms)
        self._window: deque[bool] = deque(maxlen=self._onset + max(1, self._onset // 4))
        self._end = max(1, end_silence_ms // frame_ms)
        self._end_now = self._end  # this pause's: `end_after` moves it until the caller speaks again
        self._preroll: deque[np.ndarray] = deque(maxlen=max(1, preroll_ms // frame_ms))
        self._tail = max(0, tail_ms // frame_ms)
        self._max = int(max_speech_s * 1000 // frame_ms)
        self._min_speech = max(1, min_speech_ms // frame_ms)
        self._speech: list[np.ndarray] = []
        self._voiced = 0
        self._silence = 0
        self.speaking = False

    @property
    def tail_frames(self) -> int:
        """Trailing silence frames an utterance keeps."""
        return self._tail

    def heard(self) -> np.ndarray:
        """The turn's audio so far (empty when nobody speaks)."""
        return np.concatenate(self._speech).astype(np.int16) if self._speech else np.zeros(0, dtype=np.int16)

    @property
    def silence_ms(self) -> int:
        """Silence since the caller's last speech frame in this turn (0 when nobody speaks)."""
        return self._silence * self.frame_ms if self.speaking else 0

    def end_after(self, ms: int) -> None:
        """End this pause's turn after `ms` of silence instead of `end_silence_ms` (the words sound finished, or
        cut off); never shorter than the trailing silence an utterance keeps, so its audio stays the same. The
        next speech frame restores the default."""
        self._end_now = max(self._tail + 1, ms // self.frame_ms, 1)

    def end_if_due(self) -> Utterance | None:
        """The turn, now, when the silence so far already ends it (`end_after` shortened it between frames: the words
        at the pause were judged finished once their decode came back); None otherwise."""
        if self.speaking and self._speech and self._silence >= self._end_now:
            return self._finish()
        return None

    def reset(self) -> None:
        self._window.clear()
        self._preroll.clear()
        self._speech = []
        self._voiced = self._silence = 0
        self._end_now = self._end
        self.speaking = False

    def push(self, frame: np.ndarray, voiced: bool) -> Onset | Utterance | None:
        if not self.speaking:
            self._preroll.append(frame)
            self._window.append(voiced)
            if sum(self._window) >= self._onset:
                self.speaking = True
                self._speech = list(self._preroll)
                self._voiced = sum(self._window)
                self._silence = 0
                self._window.clear()
                self._preroll.clear()
                return Onset()
            return None
        self._speech.append(frame)
        if voiced:
            self._voiced += 1
            self._silence = 0
            self._end_now = self._end
        else:
            self._silence += 1
        if self._silence >= self._end_now or len(self._speech) >= self._max:
            return self._finish()
        return None

    def _finish(self) -> Utterance | None:
        silence_ms = self._silence * self.frame_ms if self._silence >= self._end_now else 0
        drop = max(0, self._silence - self._tail)
        frames = self._speech[: len(self._speech) - drop] if drop else self._speech
        voiced = self._voiced
        self.speaking = False
        self._speech = []
        self._voiced = self._silence = 0
        self._end_now = self._end
        if voiced < self._min_speech or not frames:
            return None
        return Utterance(np.concatenate(frames).astype(np.int16), self.sample_rate, voiced * self.frame_ms, silence_ms)
