"""Two calls that overlap: caller B asks while caller A's long order-status reply (~30 s of audio) is being spoken.
A's words are decoded by Whisper (its CPU spent as in a call) but read as what A said, so that A always gets the
long reply whatever Whisper made of its id on a loaded box.
B's wait from the end of its speech to its first reply audio, and how much of A's reply was synthesised by the time
A hangs up (`--listen` s after A's first audio: a caller who has heard enough), with the reply's sentences
synthesised as they are played (`CallConfig.lookahead_s`, the default) and all at once (`lookahead_s=0`, before),
interleaved round by round on the same box, real Whisper, Piper and WebRTC VAD as in `bench_voice_calls.py`.

    .venv/bin/python bench/bench_voice_overlap.py [--rounds 4] [--offset 1.0] [--listen 6] [--lookahead 3]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_voice_calls import QUESTIONS, one_call, pct

from tests.voice.speech import caller_audio, voices
from voice.asr.whisper import WhisperASR
from voice.vad import WebRtcVad


class Heard:
    """Whisper's decode, its text replaced by what the caller said."""

    def __init__(self, inner, text: str) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.text = inner, text

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)

    def transcribe(self, audio, language, **kwargs):  # type: ignore[no-untyped-def]
        return dataclasses.replace(self.inner.transcribe(audio, language, **kwargs), text=self.text)


class Counted:
    """A voice that adds up the seconds of audio it made and the CPU it took (one per call)."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.seconds, self.cpu = inner, 0.0, 0.0

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.inner, name)

    def synthesize(self, text: str, language: str):  # type: ignore[no-untyped-def]
        c = time.thread_time()
        speech = self.inner.synthesize(text, language)
        self.cpu += time.thread_time() - c
        self.seconds += speech.seconds
        return speech


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--offset", type=float, default=1.0, help="B starts speaking this long after A")
    ap.add_argument("--listen", type=float, default=6.0, help="A hangs up this long after its first reply audio")
    ap.add_argument("--lookahead", type=float, default=3.0)
    args = ap.parse_args()
    asr = WhisperASR(Path("var/models/whisper-base"))
    asr.warm_up()
    tts = voices()["en"]
    getattr(tts, "warm_up", lambda: None)()
    a_q, b_q = caller_audio(QUESTIONS[0], "en"), caller_audio(QUESTIONS[3], "en")
    a_asr = Heard(asr, QUESTIONS[0])
    vad = WebRtcVad()
    waits: dict[float, list[float]] = {}
    made: dict[float, list[float]] = {}
    cpu: dict[float, list[float]] = {}
    sides = (args.lookahead, 0.0)
    for r in range(args.rounds):
        for la in sides if r % 2 == 0 else sides[::-1]:
            a_tts, b_tts = Counted(tts), Counted(tts)

            async def b(la: float = la, b_tts: Counted = b_tts, n: int = 2 * r + 1):  # type: ignore[no-untyped-def]
                await asyncio.sleep(args.offset)
                return await one_call(n, b_q, asr, b_tts, vad, interval=0.0, config={"lookahead_s": la})

            _, got = await asyncio.gather(
                one_call(2 * r, a_q, a_asr, a_tts, vad, interval=0.0, config={"lookahead_s": la}, stay_s=args.listen),
                b(),
            )
            if got.from_speech_end_s is not None:
                waits.setdefault(la, []).append(got.from_speech_end_s)
            made.setdefault(la, []).append(a_tts.seconds)
            cpu.setdefault(la, []).append(a_tts.cpu)
    for la in sides:
        name = f"lookahead {la:g} s" + (" (all at once, before)" if la == 0 else "")
        w = waits.get(la, [])
        print(
            f"{name:<32} B: end of speech → first audio p50 {pct(w, 50) * 1000:4.0f} ms, p95 "
            f"{pct(w, 95) * 1000:4.0f} ms ({len(w)} answered) | A's reply synthesised by its hang-up "
            f"{pct(made[la], 50):4.1f} s of audio, {pct(cpu[la], 50):4.2f} s CPU (p50)"
        )


if __name__ == "__main__":
    asyncio.run(main())
