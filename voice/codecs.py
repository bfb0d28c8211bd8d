"""G.711 μ-law, the telephone network's 8-bit codec (what Twilio Media Streams carry), to and from 16-bit PCM.

Vectorised with numpy over whole frames; bit-exact with the ITU-T G.711 tables (and `audioop`, which Python
3.13 removes): encoding is the segment search on the biased magnitude, decoding a 256-entry table.
"""

from __future__ import annotations

import numpy as np

_BIAS = 0x84
_CLIP14 = 8159
_SEG_END = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])


def _decode_table() -> np.ndarray:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(codes & 0x80, -magnitude, magnitude).astype(np.int16)


_DECODE = _decode_table()


def ulaw_decode(data: bytes) -> np.ndarray:
    """μ-law bytes → int16 PCM samples (one sample per byte)."""
    return _DECODE[np.frombuffer(data, dtype=np.uint8)]


def ulaw_encode(pcm: np.ndarray) -> bytes:
    """int16 PCM samples → μ-law bytes (the 14-bit G.711 encoder of the reference implementation)."""
    x = np.asarray(pcm, dtype=np.int32) >> 2
    negative = x < 0
    magnitude = np.minimum(np.where(negative, -x, x), _CLIP14) + (_BIAS >> 2)
    segment = np.searchsorted(_SEG_END, magnitude)  # first segment whose end is >= the magnitude
    seg = np.minimum(segment, 7)
    code = np.where(segment >= 8, 0x7F, (seg << 4) | ((magnitude >> (seg + 1)) & 0x0F))
    mask = np.where(negative, 0x7F, 0xFF)
    return ((code ^ mask) & 0xFF).astype(np.uint8).tobytes()
