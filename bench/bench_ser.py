"""Speech emotion's cost per call turn: CPU milliseconds per second of audio for the whole read (telephone band,
speechbrain Fbank/MFCC, pitch, energy, the classifier), on real clips as a phone line delivers them (8 kHz μ-law),
one thread, beside the share of real time it takes. Also two reads at once (two calls' turns ending together).

    .venv/bin/python bench/bench_ser.py [--clips 40] [--model var/models/ser/ser.npz]
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from timing import pct

from agent.training.ser import load_clips, read_audio, subset
from server.settings import Settings
from voice.codecs import ulaw_decode, ulaw_encode
from voice.emotion import TrainedSpeechEmotion
from voice.resample import resample, to_int16


def main(n: int, model: Path) -> None:
    data_dir = Settings().training.data_dir
    reader = TrainedSpeechEmotion(model)
    t0 = time.perf_counter()
    reader.warm_up()
    print(f"warm-up (weights + speechbrain import): {time.perf_counter() - t0:.1f} s")
    clips = subset(load_clips(data_dir), 1)[:: max(1, 120 // n)][:n]
    calls = []
    for clip in clips:
        audio, rate = read_audio(data_dir, clip)
        calls.append(ulaw_decode(ulaw_encode(to_int16(resample(audio, rate, 8000)))))
    per_s, ms = [], []
    for pcm in calls:
        t = time.perf_counter()
        reader.read(pcm, 8000)
        dt = (time.perf_counter() - t) * 1000
        ms.append(dt)
        per_s.append(dt / (len(pcm) / 8000))
    audio_s = sum(len(p) for p in calls) / 8000
    print(f"{len(calls)} utterances, {audio_s:.0f} s of audio (mean {audio_s / len(calls):.1f} s)")
    print(f"one at a time: p50 {pct(per_s, 0.5):.1f} ms per second of audio (p95 {pct(per_s, 0.95):.1f}); "
          f"per utterance p50 {pct(ms, 0.5):.0f} ms, p95 {pct(ms, 0.95):.0f} ms; "
          f"real-time factor {sum(ms) / 1000 / audio_s:.3f}")
    with ThreadPoolExecutor(2) as pool:
        t = time.perf_counter()
        list(pool.map(lambda p: reader.read(p, 8000), calls))
        wall = time.perf_counter() - t
    print(f"two threads: {wall * 1000 / audio_s:.1f} ms of wall time per second of audio")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=40)
    parser.add_argument("--model", type=Path, default=Settings().voice.emotion_model)
    args = parser.parse_args()
    main(args.clips, args.model)
