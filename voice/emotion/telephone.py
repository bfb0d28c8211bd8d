"""What a phone line does to a voice, so that the speech-emotion model trains and reads in the same band.

Studio recordings (the training corpora, a browser's 16 kHz microphone) are made to sound like a call: resampled
to 8 kHz, band-passed to the telephone band (300–3400 Hz) and sent through G.711 μ-law and back. Audio that
already comes from the phone (8 kHz) is only band-passed: it went through the network's codec already.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy.signal import butter, sosfilt

from voice.codecs import ulaw_decode, ulaw_encode
from voice.resample import resample, to_int16

PHONE_RATE = 8000
BAND_HZ = (300.0, 3400.0)


@cache
def _band_pass() -> np.ndarray:
    return butter(4, BAND_HZ, btype="bandpass", fs=PHONE_RATE, output="sos")


def telephone_band(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """`audio` (int16 or float in [-1, 1], mono) → float32 at 8 kHz as a phone line carries it."""
    x = resample(audio, sample_rate, PHONE_RATE)
    if x.size == 0:
        return x
    x = sosfilt(_band_pass(), x).astype(np.float32)
    if sample_rate != PHONE_RATE:  # not through the phone network yet: its codec's quantisation too
        x = ulaw_decode(ulaw_encode(to_int16(x))).astype(np.float32) / 32768.0
    return x
