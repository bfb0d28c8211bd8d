"""Long audio cut at its pauses, for a recogniser whose window is shorter than the audio.

Whisper reads at most 30 s at a time; faster-whisper's own cut of longer audio falls every 30 s wherever that is,
often inside a word, and the decode of the first window may stop before its end, so the last sentences of a long
reply were lost when it was read back (a 31 s reply lost its last 4 s). Cut instead in the quietest stretch near
the end of each piece: between sentences or words, never within one.
"""

from __future__ import annotations

import numpy as np

FRAME_S = 0.02  # energy measured per 20 ms
QUIET_S = 0.2  # the cut lands in the middle of the quietest stretch this long


def pieces(audio: np.ndarray, rate: int, max_s: float, *, min_s: float | None = None) -> list[np.ndarray]:
    """`audio` in consecutive pieces of at most `max_s` seconds, each cut in the quietest `QUIET_S` between
    `min_s` (default: half of `max_s`) and `max_s` from the piece's start. Audio no longer than `max_s` is one
    piece; the pieces put together are the audio, sample for sample."""
    audio = np.asarray(audio)
    limit = int(max_s * rate)
    if len(audio) <= limit:
        return [audio]
    low = int((max_s / 2 if min_s is None else min_s) * rate)
    frame = max(1, int(FRAME_S * rate))
    quiet = max(1, int(QUIET_S / FRAME_S))
    out: list[np.ndarray] = []
    start = 0
    while len(audio) - start > limit:
        span = audio[start + low : start + limit].astype(np.float64)
        n = len(span) // frame
        if n <= quiet:
            cut = start + limit
        else:
            energy = np.square(span[: n * frame]).reshape(n, frame).mean(axis=1)
            window = np.convolve(energy, np.ones(quiet), mode="valid")  # energy of each stretch of `quiet` frames
            best = len(window) - 1 - int(np.argmin(window[::-1]))  # of equally quiet stretches the last: fewer pieces
            cut = start + low + (best + quiet // 2) * frame
        out.append(audio[start:cut])
        start = cut
    out.append(audio[start:])
    return out
