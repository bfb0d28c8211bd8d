"""μ-law and resampling: what the phone network carries must come back as the same sound."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from voice.codecs import ulaw_decode, ulaw_encode
from voice.resample import resample, to_int16

pytestmark = pytest.mark.unit

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # the standard library's G.711 (removed in 3.13): the reference


def test_ulaw_matches_the_g711_reference_on_every_sample_value() -> None:
    pcm = np.arange(-32768, 32768, dtype=np.int16)
    assert ulaw_encode(pcm) == audioop.lin2ulaw(pcm.tobytes(), 2)
    every_code = bytes(range(256))
    assert ulaw_decode(every_code).tobytes() == audioop.ulaw2lin(every_code, 2)


def test_a_tone_survives_the_phone_line() -> None:
    t = np.arange(8000) / 8000
    pcm = (np.sin(2 * np.pi * 440 * t) * 10000).astype(np.int16)
    back = ulaw_decode(ulaw_encode(pcm)).astype(np.float64)
    snr = 10 * np.log10(np.sum(pcm.astype(np.float64) ** 2) / np.sum((back - pcm) ** 2))
    assert snr > 30  # G.711's ~38 dB


def test_resampling_keeps_a_tone_and_its_length() -> None:
    t = np.arange(8000) / 8000
    pcm = (np.sin(2 * np.pi * 440 * t) * 10000).astype(np.int16)
    up = resample(pcm, 8000, 16000)
    assert len(up) == 16000
    spectrum = np.abs(np.fft.rfft(up))
    assert abs(np.argmax(spectrum) * 16000 / len(up) - 440) < 2
    down = to_int16(resample(up, 16000, 8000))
    assert len(down) == 8000 and np.corrcoef(down[100:-100], pcm[100:-100])[0, 1] > 0.99
    assert len(resample(np.zeros(22050, dtype=np.int16), 22050, 8000)) == 8000
