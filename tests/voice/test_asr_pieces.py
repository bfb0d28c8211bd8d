"""Long audio is cut for the recogniser in its pauses, never inside speech, and nothing is lost or repeated."""

from __future__ import annotations

import numpy as np
import pytest

from voice.asr.pieces import pieces

pytestmark = pytest.mark.unit

RATE = 16000


def speech(seconds: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 0.3, int(seconds * RATE)).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


def test_short_audio_is_one_piece() -> None:
    audio = speech(12, 1)
    (one,) = pieces(audio, RATE, 18)
    assert np.array_equal(one, audio)


def test_a_31_s_reply_is_cut_in_its_pauses_and_put_back_together_exactly() -> None:
    # sentences of 7, 6, 8, 5 and 5 s with 0.5 s pauses between them (a long order-status reply)
    parts, bounds, at = [], [], 0.0
    for k, seconds in enumerate((7, 6, 8, 5, 5)):
        parts.append(speech(seconds, k))
        at += seconds
        if k < 4:
            parts.append(silence(0.5))
            bounds.append((at, at + 0.5))
            at += 0.5
    audio = np.concatenate(parts)
    cut = pieces(audio, RATE, 18)
    assert len(cut) >= 2
    assert all(len(p) <= 18 * RATE for p in cut)
    assert np.array_equal(np.concatenate(cut), audio)
    edges = np.cumsum([len(p) for p in cut[:-1]]) / RATE
    for edge in edges:
        assert any(lo < edge < hi for lo, hi in bounds), f"cut at {edge:.2f} s, inside speech"


def test_speech_without_pauses_is_still_cut_within_the_limit() -> None:
    audio = speech(50, 7)
    cut = pieces(audio, RATE, 18)
    assert all(len(p) <= 18 * RATE for p in cut)
    assert np.array_equal(np.concatenate(cut), audio)
