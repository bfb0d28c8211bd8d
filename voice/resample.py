"""Sample-rate conversion between the telephone's 8 kHz, the recogniser's 16 kHz and a voice's own rate.

Polyphase filtering (`scipy.signal.resample_poly`) over a whole utterance or a whole synthesised sentence, never
frame by frame: per-frame filtering would click at every 20 ms boundary.
"""

from __future__ import annotations

from math import gcd

import numpy as np
from scipy.signal import resample_poly


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """`samples` (int16 or float) at `from_rate` → float32 in [-1, 1] at `to_rate`."""
    x = np.asarray(samples)
    x = x.astype(np.float32) / 32768.0 if x.dtype == np.int16 else x.astype(np.float32)
    if from_rate == to_rate or x.size == 0:
        return x
    g = gcd(from_rate, to_rate)
    return resample_poly(x, to_rate // g, from_rate // g).astype(np.float32)


def to_int16(samples: np.ndarray) -> np.ndarray:
    """float in [-1, 1] → int16 (clipped)."""
    return np.clip(np.round(np.asarray(samples, dtype=np.float32) * 32767.0), -32768, 32767).astype(np.int16)
