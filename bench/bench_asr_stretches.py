"""An utterance decoded in stretches (`voice.asr.partial`, `CallConfig.segment_s`) against decoded whole: what is
left to decode when the caller stops, and whether the words are as good.

Each question is said by the bundled voices (en: Piper, zh: the neural Mandarin voice; ids said in groups, with
pauses between, as callers say them), sent through the 8 kHz μ-law line, and fed frame by frame at real-time pace
through the call's own turn detector (WebRTC VAD) and `PartialDecoder`, once with stretches (`--segment-s`) and once
without (0), interleaved. Per side: the decode at the end of the turn (its wall time from the pause: what the
caller waits for), the audio it decoded, the stretches kept, and the share of the question's words (en) or
characters (zh) in the transcript (`tests.voice.speech.recovered`, as the e2e test scores), ids joined (`written`).

    .venv/bin/python bench/bench_asr_stretches.py [--segment-s 1.2] [--rounds 2] [--show]
    .venv/bin/python bench/bench_asr_stretches.py --breaths     # sentences said in two breaths
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_asr_window import SPOKEN

FRAME_MS = 20
# said in two breaths, 400 ms apart (`--breaths`): what stretches are for, a caller explaining rather than asking
BREATHS = {
    "en": [
        ("I would like a refund for the blue jacket", "because it does not fit me at all."),
        ("the parcel arrived this morning", "but the box was crushed and the cup inside is broken."),
        ("I ordered two pairs of running shoes last week", "and I still have not received any tracking number."),
        ("can you tell me how long a refund takes", "after you receive the item I sent back?"),
        ("I want to change the delivery address", "to my office in the city centre please."),
        ("the headphones stopped working after two days", "what can I do about it?"),
    ],
    "zh": [
        ("我上周买的那件蓝色外套", "尺码偏小穿不上想换一件大一号的"),
        ("快递今天早上送到了", "但是盒子被压坏了里面的杯子也碎了"),
        ("我想问一下退款一般要多久", "你们收到退回的商品以后才退吗"),
        ("耳机用了两天就没有声音了", "这个可以换一个新的吗"),
        ("帮我把收货地址改一下", "改成公司的地址就在市中心"),
        ("我买了两双跑步鞋", "到现在还没有看到物流信息"),
    ],
}


async def one(asr: object, vad: object, pcm8: np.ndarray, language: str, segment_s: float) -> dict[str, object]:
    from voice.asr.partial import PartialDecoder
    from voice.call import CallConfig
    from voice.vad import Onset, TurnDetector, Utterance

    config = CallConfig()
    detector = TurnDetector(8000, frame_ms=FRAME_MS, onset_ms=config.onset_ms, end_silence_ms=config.end_silence_ms,
                            tail_ms=config.pause_ms)
    spawned: list[asyncio.Task[None]] = []

    def spawn(coro):  # type: ignore[no-untyped-def]
        task = asyncio.ensure_future(coro)
        spawned.append(task)
        return task

    decoder: PartialDecoder | None = None
    frame = 8000 * FRAME_MS // 1000
    padded = np.concatenate([pcm8, np.zeros(8000, dtype=np.int16)])  # a second of line silence after the question
    paused_at = done_at = None
    result: dict[str, object] = {}
    for i in range(0, len(padded) - frame + 1, frame):
        chunk = padded[i : i + frame]
        voiced = vad.is_speech(chunk, 8000)  # type: ignore[attr-defined]
        event = detector.push(chunk, voiced)
        if isinstance(event, Onset):
            decoder = PartialDecoder(asr, 8000, language=language, spawn=spawn, interval_s=0,  # type: ignore[arg-type]
                                     tail_frames=config.pause_ms // FRAME_MS, frame_ms=FRAME_MS, segment_s=segment_s)
            decoder.begin(detector.heard())
        elif isinstance(event, Utterance) and decoder is not None:
            transcript = await decoder.final(event.pcm)
            done_at = done_at or time.perf_counter()
            waited = done_at - (paused_at or done_at)
            result = {"text": transcript.text, "stretches": decoder.stretches, "reused": decoder.reused,
                      "waited_s": waited, "decodes": decoder.decodes}
            break
        elif detector.speaking and decoder is not None:
            decoder.push(chunk, voiced)
            if not voiced and decoder.pause_pending and paused_at is None:
                paused_at = time.perf_counter()  # (the last pause's decode was asked for at this frame)
            if voiced:
                paused_at = done_at = None
            elif paused_at is not None and done_at is None and decoder.pause_transcript is not None:
                done_at = time.perf_counter()  # (to a frame's 20 ms)
        await asyncio.sleep(FRAME_MS / 1000)  # real time: decodes run while the caller speaks
    if decoder is not None:
        decoder.close()
    await asyncio.gather(*spawned, return_exceptions=True)
    return result


def trimmed(pcm: np.ndarray, floor: int = 300) -> np.ndarray:
    """The clip without the voice's leading and trailing silence (|sample| under `floor`)."""
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) >= floor)
    return pcm[loud[0] : loud[-1] + 1] if len(loud) else pcm


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--segment-s", type=float, default=None, help="default: CallConfig.segment_s")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--show", action="store_true")
    parser.add_argument("--breaths", action="store_true", help="two-breath sentences instead of the caller questions")
    args = parser.parse_args()
    from server.infra.voice import build_asr
    from server.settings import Settings
    from tests.voice.speech import caller_audio, recovered
    from voice.call import CallConfig
    from voice.text import written
    from voice.vad import WebRtcVad

    segment = CallConfig().segment_s if args.segment_s is None else args.segment_s
    settings = Settings().voice
    asr = build_asr(settings)
    asr.warm_up()  # type: ignore[attr-defined]
    vad = WebRtcVad(settings.vad_aggressiveness)
    if args.breaths:
        gap = np.zeros(8000 * 4 // 10, dtype=np.int16)  # 400 ms between the breaths' speech (their own silence cut)
        clips = [((a + ("" if lang == "zh" else " ") + b), lang,
                  np.concatenate([trimmed(caller_audio(a, lang)), gap, trimmed(caller_audio(b, lang))]))
                 for lang, pairs in BREATHS.items() for a, b in pairs]
    else:
        clips = [(q, lang, caller_audio(q, lang)) for lang, qs in SPOKEN.items() for q in qs]
    sides = {"stretches": segment, "whole": 0.0}
    rows: dict[str, list[dict[str, object]]] = {name: [] for name in sides}
    for _ in range(args.rounds):
        for q, lang, pcm in clips:
            for name, seg in sides.items():
                r = await one(asr, vad, pcm, lang, seg)
                if not r:
                    continue
                r["score"] = recovered(q, written(str(r["text"])), lang)
                r["q"], r["lang"] = q, lang
                rows[name].append(r)
                if args.show and name == "stretches" and r["stretches"]:
                    other = rows["whole"][-1]["text"] if rows["whole"] else ""
                    print(f"  {q!r}: {r['text']!r} | whole: {other!r}")
    load = os.getloadavg()[0]
    print(f"{len(clips)} questions × {args.rounds} rounds, stretches of ≥ {segment} s; load average {load:.1f}")
    print(f"{'side':<10} {'lang':<4} {'recovered':>9} {'wait p50':>9} {'p95':>7} {'stretched':>9}")
    for name, rs in rows.items():
        for lang in ("en", "zh", "all"):
            sel = [r for r in rs if lang == "all" or r["lang"] == lang]
            if not sel:
                continue
            waits = sorted(float(r["waited_s"]) * 1000 for r in sel)
            print(f"{name:<10} {lang:<4} {statistics.mean(float(r['score']) for r in sel):>9.3f} "
                  f"{statistics.median(waits):>7.0f}ms {waits[int(0.95 * (len(waits) - 1))]:>5.0f}ms "
                  f"{sum(1 for r in sel if r['stretches']):>5}/{len(sel)}")


if __name__ == "__main__":
    asyncio.run(main())
