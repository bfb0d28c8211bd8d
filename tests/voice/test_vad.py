"""End of turn from silence, speech onset for barge-in, and the bundled WebRTC detector on real sound."""

from __future__ import annotations

import numpy as np
import pytest

from tests.fakes.voice import silence, tone
from voice.vad import Onset, TurnDetector, Utterance, WebRtcVad

pytestmark = pytest.mark.unit


def frames(audio: np.ndarray, size: int = 160) -> list[np.ndarray]:
    return [audio[i:i + size] for i in range(0, len(audio) - size + 1, size)]


def run(detector: TurnDetector, audio: np.ndarray) -> list[tuple[int, object]]:
    out = []
    for i, frame in enumerate(frames(audio)):
        event = detector.push(frame, bool(np.abs(frame).max() > 500))
        if event is not None:
            out.append((i * 20, event))
    return out


def test_onset_after_100_ms_of_speech_and_the_turn_ends_after_the_silence() -> None:
    audio = np.concatenate([silence(400), tone(1000), silence(1000)])
    events = run(TurnDetector(8000, onset_ms=100, end_silence_ms=600, preroll_ms=200, tail_ms=200), audio)
    (onset_ms, onset), (end_ms, utterance) = events
    assert isinstance(onset, Onset) and 400 + 80 <= onset_ms <= 400 + 120
    assert isinstance(utterance, Utterance) and end_ms == pytest.approx(400 + 1000 + 600, abs=40)
    assert utterance.seconds == pytest.approx(0.2 + 1.0 + 0.2, abs=0.1)  # preroll + speech + tail


def test_a_pause_shorter_than_the_end_silence_keeps_one_turn_and_a_click_is_no_turn() -> None:
    audio = np.concatenate([tone(500), silence(300), tone(500), silence(800)])
    events = run(TurnDetector(8000), audio)
    assert [type(e).__name__ for _, e in events] == ["Onset", "Utterance"]
    assert run(TurnDetector(8000), np.concatenate([tone(40), silence(1000)])) == []


def test_webrtc_vad_hears_a_voiced_sound_and_not_silence_or_faint_line_noise() -> None:
    vad = WebRtcVad(2)
    t = np.arange(8000) / 8000
    phase = 2 * np.pi * np.cumsum(120 * (1 + 0.1 * np.sin(2 * np.pi * 3 * t))) / 8000  # a gliding 120 Hz voice
    voiced = sum(np.sin(k * phase) / k for k in range(1, 25)) * np.sin(2 * np.pi * 2 * t) ** 2
    voiced = (voiced / np.abs(voiced).max() * 12000).astype(np.int16)
    assert sum(vad.is_speech(f, 8000) for f in frames(voiced)) >= 40  # of 50
    noise = np.random.default_rng(0).normal(0, 30, 8000).astype(np.int16)
    assert not any(vad.is_speech(f, 8000) for f in frames(noise))
    assert not vad.is_speech(np.zeros(160, dtype=np.int16), 8000)
    assert not vad.is_speech(voiced[:100], 8000)  # not a 10/20/30 ms frame: not speech
