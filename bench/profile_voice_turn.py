"""Where the time between the end of a caller's speech and the first reply audio goes (issue 16), piece by piece.

The decode at the pause (`voice.asr.partial`) of the bench's questions (`bench_voice_calls.QUESTIONS`, en, and zh
ones), cut as the call cuts them (the turn detector's audio at `--pause-ms` of silence), split into its parts:
μ-law line → 16 kHz, Whisper's features, the encoder, language detection (when no language is given), the decoder
(its prompt prefill and first token apart from the rest, per token), and what `WhisperASR.transcribe` adds around
them (the echo check, a second decode). Then the reply side: the agent's turn over the test stores and the
synthesis of each reply's first clause and whole first sentence, first call and warm. Wall and CPU time (median of
`--repeat` runs): on a busy machine the CPU figure is the steadier one.

    .venv/bin/python bench/profile_voice_turn.py [--repeat 5] [--pause-ms 200] [--threads 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_voice_calls import QUESTIONS

ZH_QUESTIONS = ["你好，我的订单KF10001190到哪了？", "我要退货，订单KF10000012，尺码不合适。"]


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall and CPU ms of `fn()` over `repeat` runs, and its last result."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append((time.perf_counter() - t) * 1000)
        cpus.append((time.process_time() - c) * 1000)
    return statistics.median(walls), statistics.median(cpus), out


def at_pause(pcm8k: np.ndarray, pause_ms: int) -> np.ndarray:
    """The audio the call decodes at the caller's last pause: the turn detector's utterance, which keeps `pause_ms`
    of trailing silence (pauses inside the question do not end it)."""
    from voice.vad import TurnDetector, Utterance, WebRtcVad

    vad, step = WebRtcVad(), 160
    detector = TurnDetector(8000, end_silence_ms=1000, tail_ms=pause_ms)
    audio = np.concatenate([np.zeros(step * 15, np.int16), pcm8k, np.zeros(step * 100, np.int16)])
    for i in range(0, len(audio) - step + 1, step):
        frame = audio[i : i + step]
        event = detector.push(frame, vad.is_speech(frame, 8000))
        if isinstance(event, Utterance):
            return event.pcm
    raise RuntimeError("no utterance")


def decode_parts(asr: Any, audio16: np.ndarray, language: str | None, repeat: int) -> dict[str, tuple[float, float]]:
    from voice.asr import whisper as w

    model = asr._load()
    window = w.window_s(len(audio16) / w.RATE)
    frames = window * w.RATE // w.HOP
    out: dict[str, tuple[float, float]] = {}

    def features() -> np.ndarray:
        f = model.feature_extractor(np.asarray(audio16, dtype=np.float32))
        content = f[:, : min(f.shape[-1] - 1, frames)]
        padded = np.zeros((f.shape[0], frames), dtype=np.float32)
        padded[:, : content.shape[-1]] = content
        return padded

    wall, cpu, feats = timed(features, repeat)
    out["features"] = (wall, cpu)
    wall, cpu, encoded = timed(lambda: model.encode(feats), repeat)
    out[f"encoder ({window} s window)"] = (wall, cpu)
    lang = language
    if language is None:
        wall, cpu, lang = timed(lambda: asr.language_of(audio16, encoded), repeat)
        out["language detection"] = (wall, cpu)
    tok = asr._tokenizers[lang]
    prompt = asr._prompt_tokens[(lang, asr.prompts[lang])]
    seq = ([tok.sot_prev, *prompt] if prompt else []) + [*tok.sot_sequence, tok.no_timestamps]

    def generate(max_new: int, **over: Any) -> Any:
        kwargs = dict(
            beam_size=1,
            patience=1,
            length_penalty=1,
            repetition_penalty=1,
            no_repeat_ngram_size=w.NO_REPEAT,
            max_length=len(seq) + max_new,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=list(asr._suppress),
            max_initial_timestamp_index=50,
        )
        kwargs.update(over)
        return model.model.generate(encoded, [over.pop("_seq", seq)], **kwargs)[0]

    wall1, cpu1, _ = timed(lambda: generate(1), repeat)
    out[f"decoder: prefill {len(seq)} tokens + 1st token"] = (wall1, cpu1)
    wall, cpu, res = timed(lambda: generate(w._max_new_tokens(len(audio16) / w.RATE)), repeat)
    n = len(res.sequences_ids[0])
    out[f"decoder: all {n} tokens"] = (wall, cpu)
    out["decoder: per later token"] = ((wall - wall1) / max(1, n - 1), (cpu - cpu1) / max(1, n - 1))
    wall, cpu, _ = timed(
        lambda: generate(w._max_new_tokens(len(audio16) / w.RATE), return_no_speech_prob=False), repeat
    )
    out["decoder: all, no no-speech prob"] = (wall, cpu)
    wall, cpu, _ = timed(lambda: generate(w._max_new_tokens(len(audio16) / w.RATE), no_repeat_ngram_size=0), repeat)
    out["decoder: all, no n-gram ban"] = (wall, cpu)
    if prompt:
        short = [*tok.sot_sequence, tok.no_timestamps]
        wall, cpu, _ = timed(
            lambda: model.model.generate(
                encoded,
                [short],
                beam_size=1,
                max_length=len(short) + 1,
                suppress_blank=True,
                suppress_tokens=list(asr._suppress),
            )[0],
            repeat,
        )
        out["decoder: no prompt, 1st token"] = (wall, cpu)
    text = tok.decode(res.sequences_ids[0]).strip()
    wall, cpu, _ = timed(lambda: (w.echoes(text, asr.prompts[lang]), w.looped(text, lang), w.simplified(text)), repeat)
    out["echo/loop checks + t2s"] = (wall, cpu)
    wall, cpu, tr = timed(lambda: asr.transcribe(audio16, language), repeat)
    out["transcribe() whole"] = (wall, cpu)
    out["  → " + repr(tr.text)[:60]] = (0.0, 0.0)
    return out


async def agent_turns(questions: list[str], repeat: int) -> list[tuple[str, float, float, str]]:
    from tests.fakes import make_agent

    out = []
    for q in questions:
        walls, cpus, reply = [], [], ""
        for r in range(repeat):
            agent = make_agent()
            cid = f"p{r}"
            await agent.start(cid, channel="voice", customer_id="C1", language="en" if q.isascii() else "zh")
            t, c = time.perf_counter(), time.process_time()
            result = await agent.handle(cid, q)
            walls.append((time.perf_counter() - t) * 1000)
            cpus.append((time.process_time() - c) * 1000)
            reply = result.reply.text
        out.append((q, statistics.median(walls), statistics.median(cpus), reply))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pause-ms", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-zh", action="store_true")
    args = parser.parse_args()
    from tests.voice.speech import caller_audio, voices
    from voice.asr import WhisperASR
    from voice.codecs import ulaw_decode, ulaw_encode
    from voice.resample import resample
    from voice.text import lead_clause, sentences, speakable

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; pause {args.pause_ms} ms")
    asr = WhisperASR(Path("var/models/whisper-base"), threads=args.threads)
    asr.warm_up()
    cases = [(q, "en") for q in QUESTIONS] + ([] if args.no_zh else [(q, "zh") for q in ZH_QUESTIONS])
    for text, lang in cases:
        pcm = ulaw_decode(ulaw_encode(at_pause(caller_audio(text, lang), args.pause_ms)))
        wall, cpu, audio16 = timed(lambda pcm=pcm: resample(pcm, 8000, 16000), args.repeat)
        print(f"{text!r} ({len(audio16) / 16000:.2f} s at the pause), language given:")
        print(f"    {'resample 8 → 16 kHz':<44} {wall:6.1f} ms wall {cpu:6.1f} ms CPU")
        asr.transcribe(audio16, lang)  # warm for this length
        for name, (wall, cpu) in decode_parts(asr, audio16, lang, args.repeat).items():
            print(f"    {name:<44} {wall:6.1f} ms wall {cpu:6.1f} ms CPU")
        if lang == "en" and text == QUESTIONS[0]:
            print("  same, no language given:")
            for name, (wall, cpu) in decode_parts(asr, audio16, None, args.repeat).items():
                if "language" in name or "whole" in name:
                    print(f"    {name:<44} {wall:6.1f} ms wall {cpu:6.1f} ms CPU")

    print("agent turn (make_agent, in-memory stores), then the reply's first sentence synthesised:")
    turns = asyncio.run(agent_turns([q for q, _ in cases], args.repeat))
    tts = voices()
    for q, wall, cpu, reply in turns:
        lang = "en" if q.isascii() else "zh"
        print(f"  {q!r}: agent {wall:.1f} ms wall {cpu:.1f} ms CPU → {reply[:70]!r}")
        first = sentences(reply)[0] if reply else ""
        spoken = speakable(first, lang)
        parts = lead_clause(spoken, lang)
        for label, piece in (("first clause", parts[0]), ("whole first sentence", spoken)):
            wall, cpu, speech = timed(lambda piece=piece, lang=lang: tts[lang].synthesize(piece, lang), args.repeat)
            print(
                f"    {label:<22} {wall:6.1f} ms wall {cpu:6.1f} ms CPU for {speech.seconds:.2f} s of audio:"
                f" {piece[:60]!r}"
            )


if __name__ == "__main__":
    main()
