"""One utterance → a fixed-length vector of what its sound says about the speaker's state.

- Spectrum: speechbrain's `MFCC` (20 coefficients with deltas and delta-deltas) and `Fbank` (40 log-mel bands),
  each summarised by mean and standard deviation over the frames that carry speech.
- Pitch: F0 per 10 ms from the normalised autocorrelation of 40 ms frames (voiced where its peak is clear), in
  semitones: median, spread, range, movement, slope, and how much of the speech is voiced.
- Energy: frame log-energy in dB: spread, range, movement, and the share of frames with speech.

The input is 8 kHz telephone-band audio (`telephone.telephone_band`). The level is normalised before anything is
measured: how loud a caller sounds depends on the handset and the network more than on the caller, so only
relative loudness (dynamics) reaches the model. About 10 ms of CPU per second of audio (`bench/bench_ser.py`); the call
loop runs it in a thread.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from voice.emotion.telephone import PHONE_RATE

FEATURE_VERSION = "ser-features-2"  # changes whenever the vector changes: cached features and models say which
HOP = 80  # 10 ms at 8 kHz (speechbrain's default hop, so every frame series lines up)
PITCH_FRAME = 320  # 40 ms: two periods of an 80 Hz voice
F0_RANGE_HZ = (70.0, 400.0)
OCTAVE_MARGIN = 0.85  # a shorter lag within this share of the best peak wins (against octave-down errors)
VOICING = 0.45  # normalised autocorrelation peak above which a frame is voiced
ACTIVE_DB = 35.0  # frames within this many dB of the utterance's loud frames carry speech
N_MFCC, N_MELS = 20, 40
MIN_SECONDS = 0.25  # shorter than this is not an utterance (a cough, a click): no features


def _stat_names(prefix: str, n: int) -> list[str]:
    return [f"{prefix}_{s}{i}" for s in ("mean", "std") for i in range(n)]


PITCH_NAMES = ["f0_median", "f0_std", "f0_p10", "f0_p90", "f0_range", "f0_move", "f0_slope", "voiced_share",
               "voicing_mean"]
ENERGY_NAMES = ["energy_std", "energy_p10", "energy_p90", "energy_range", "energy_move", "active_share",
                "energy_rise", "peak_to_rms"]
FEATURE_NAMES: tuple[str, ...] = tuple(
    _stat_names("mfcc", 3 * N_MFCC) + _stat_names("fbank", N_MELS) + PITCH_NAMES + ENERGY_NAMES
)


class TooShort(ValueError):
    """The audio is too short (or silent) to say anything about the voice."""


class SpeechFeatures:
    """The feature extractor; speechbrain's front end is built on first use (importing it takes seconds) and shared
    by every thread (its forward pass holds no state).

    `torch_threads` caps torch's intra-op threads for the process when the front end is built (None: leave them).
    Its tensors are small: on a busy 2-core machine torch's thread pool only spins, 79 ms per second of audio with
    2 threads against 8 ms with 1; concurrent calls run in threads of their own anyway."""

    def __init__(self, torch_threads: int | None = 1) -> None:
        self.torch_threads = torch_threads
        self._front: tuple[Any, Any, Any] | None = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        self._frontend()

    def _frontend(self) -> tuple[Any, Any, Any]:
        with self._lock:
            if self._front is None:
                import torch
                from speechbrain.lobes.features import Fbank
                from speechbrain.processing.features import DCT, Deltas

                fbank = Fbank(sample_rate=PHONE_RATE, n_fft=256, win_length=25, hop_length=10, n_mels=N_MELS).eval()
                self._front = (fbank, DCT(input_size=N_MELS, n_out=N_MFCC), Deltas(input_size=N_MFCC))
                if self.torch_threads is not None and torch.get_num_threads() > self.torch_threads:
                    torch.set_num_threads(self.torch_threads)
            return self._front

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        """8 kHz float audio → `len(FEATURE_NAMES)` float32 values. Raises `TooShort` for too little speech."""
        x = np.asarray(audio, dtype=np.float32)
        if x.size < MIN_SECONDS * PHONE_RATE:
            raise TooShort(f"{x.size / PHONE_RATE:.2f} s of audio")
        energy_db = _frame_db(x)
        active = energy_db >= np.percentile(energy_db, 95) - ACTIVE_DB
        loud = float(np.sqrt(np.mean(x**2))) if x.any() else 0.0
        if loud < 1e-5 or active.sum() < 5:
            raise TooShort("no speech in the audio")
        x = x * (0.1 / loud)  # level-normalised: -20 dBFS RMS
        energy_db = energy_db + 20.0 * np.log10(0.1 / loud)

        import torch

        fbank_m, dct, deltas = self._frontend()
        with torch.inference_mode():  # speechbrain's MFCC, sharing the Fbank's STFT and filterbank
            from speechbrain.processing.features import spectral_magnitude

            mel = fbank_m.compute_fbanks(spectral_magnitude(fbank_m.compute_STFT(torch.from_numpy(x)[None])))
            cep = dct(mel)
            d1 = deltas(cep)
            mfcc = torch.cat([cep, d1, deltas(d1)], dim=2)[0].numpy()
            fbank = mel[0].numpy()
        n = min(len(mfcc), len(fbank), len(active))
        keep = active[:n]
        spectral = [_mean_std(mfcc[:n][keep]), _mean_std(fbank[:n][keep])]
        f0, strength = _pitch(x)
        m = min(len(f0), n)
        pitch = _pitch_stats(f0[:m], strength[:m], keep[:m])
        energy = _energy_stats(energy_db[:n], keep, x)
        return np.concatenate([*spectral, pitch, energy]).astype(np.float32)


def _frames(x: np.ndarray, size: int, hop: int = HOP) -> np.ndarray:
    """Frames centred every `hop` samples (the signal zero-padded at both ends), as speechbrain's STFT centres them."""
    pad = np.pad(x, (size // 2, size // 2))
    n = 1 + (len(pad) - size) // hop
    idx = np.arange(size)[None, :] + hop * np.arange(n)[:, None]
    return pad[idx]


def _frame_db(x: np.ndarray) -> np.ndarray:
    frames = _frames(x, 200)  # 25 ms
    return 10.0 * np.log10(np.mean(frames**2, axis=1) + 1e-10)


def _pitch(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """F0 in Hz per 10 ms (0 where unvoiced) and the voicing strength (normalised autocorrelation peak)."""
    frames = _frames(x, PITCH_FRAME)
    frames = (frames - frames.mean(axis=1, keepdims=True)) * np.hanning(PITCH_FRAME)
    spec = np.fft.rfft(frames, n=2 * PITCH_FRAME, axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, :PITCH_FRAME]
    # unbias for the window's own autocorrelation, so long lags are not penalised
    w = np.hanning(PITCH_FRAME)
    wac = np.correlate(w, w, mode="full")[PITCH_FRAME - 1:]
    ac = ac / np.maximum(wac / wac[0], 1e-3)
    r0 = ac[:, 0] + 1e-10
    lo, hi = int(PHONE_RATE / F0_RANGE_HZ[1]), int(PHONE_RATE / F0_RANGE_HZ[0])
    seg = ac[:, lo:hi + 1] / r0[:, None]
    # the shortest lag whose peak is nearly the highest: a periodic signal peaks at every multiple of its period too
    peak = np.zeros_like(seg, dtype=bool)
    peak[:, 1:-1] = (seg[:, 1:-1] >= seg[:, :-2]) & (seg[:, 1:-1] >= seg[:, 2:])
    near_top = peak & (seg >= OCTAVE_MARGIN * seg.max(axis=1, keepdims=True))
    k = np.where(near_top.any(axis=1), near_top.argmax(axis=1), seg.argmax(axis=1))
    strength = seg[np.arange(len(seg)), k]
    # parabolic interpolation of the peak for sub-sample lags
    kk = np.clip(k, 1, seg.shape[1] - 2)
    a, b, c = (seg[np.arange(len(seg)), kk + d] for d in (-1, 0, 1))
    denom = a - 2 * b + c
    shift = np.where(np.abs(denom) > 1e-9, 0.5 * (a - c) / np.where(np.abs(denom) > 1e-9, denom, 1.0), 0.0)
    lag = lo + kk + np.clip(shift, -1, 1)
    f0 = np.where(strength >= VOICING, PHONE_RATE / lag, 0.0)
    return f0, strength


def _mean_std(m: np.ndarray) -> np.ndarray:
    return np.concatenate([m.mean(axis=0), m.std(axis=0)])


def _pitch_stats(f0: np.ndarray, strength: np.ndarray, active: np.ndarray) -> np.ndarray:
    voiced = (f0 > 0) & active
    share = float(voiced.sum() / max(1, active.sum()))
    vmean = float(strength[active].mean()) if active.any() else 0.0
    if voiced.sum() < 3:
        return np.array([0.0] * 7 + [share, vmean])
    st = 12.0 * np.log2(f0[voiced] / 100.0)  # semitones above 100 Hz
    p10, p50, p90 = np.percentile(st, [10, 50, 90])
    # movement: mean absolute change between neighbouring voiced frames (jumps over an octave are tracking errors)
    both = voiced[1:] & voiced[:-1]
    d = np.abs(np.diff(12.0 * np.log2(np.where(f0 > 0, f0, 100.0) / 100.0)))[both]
    move = float(d[d < 12].mean()) if (d < 12).any() else 0.0
    t = np.flatnonzero(voiced) * HOP / PHONE_RATE
    slope = float(np.polyfit(t, st, 1)[0]) if np.ptp(t) > 0 else 0.0
    return np.array([p50, st.std(), p10, p90, p90 - p10, move, slope, share, vmean])


def _energy_stats(db: np.ndarray, active: np.ndarray, x: np.ndarray) -> np.ndarray:
    e = db[active]
    p10, p90 = np.percentile(e, [10, 90])
    move = float(np.abs(np.diff(db)).mean()) if len(db) > 1 else 0.0
    t = np.flatnonzero(active) * HOP / PHONE_RATE
    rise = float(np.polyfit(t, e, 1)[0]) if np.ptp(t) > 0 else 0.0
    rms = float(np.sqrt(np.mean(x**2))) + 1e-10
    peak = 20.0 * np.log10(float(np.abs(x).max()) / rms + 1e-10)
    return np.array([e.std(), p10, p90, p90 - p10, move, float(active.mean()), rise, peak])
