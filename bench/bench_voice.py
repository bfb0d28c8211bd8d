"""The phone line's models on this machine: recognition latency and real-time factor on phone-band speech, synthesis
speed, and how much of a spoken reply Whisper recovers (the voice test's floor is 90%).

Callers and replies are the bundled voices (English: Piper; Mandarin: FastSpeech2 on LiteRT, espeak-ng where it is not
installed) through 8 kHz μ-law; the recogniser
is faster-whisper-base int8 on `--threads` threads. Prints p50/p95 and per-language read-back.

    .venv/bin/python bench/bench_voice.py [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

QUESTIONS = {
    "en": ["Hi, where is my order KF10001190?", "Where is my order KF10000537?", "Can you check order KF10000804?",
           "I want to return order KF10000012, it does not fit."],
    "zh": ["你好，我的订单KF10001190到哪了？", "我的订单KF10000537到哪了？", "帮我查一下订单KF10000804。",
           "我要退货，订单KF10000012，尺码不合适。"],
}
REPLIES = {
    "en": ["Your order KF10001190 (Sony WF-1000XM5 Noise Cancelling Earbuds Silver) is shipped. SF Express tracking "
           "number SF4012471914239, shipment status: in transit. Latest update (Dec 6, 05:13, Dongguan sorting "
           "centre): Arrived at Dongguan sorting centre. Estimated delivery: Dec 8, 2026.",
           "Which order is it? Tell me the order number (it starts with KF) or pick one below."],
    "zh": ["您的订单KF10001190（索尼降噪耳机）当前状态：已发货。顺丰速运运单号SF4012471914239，物流状态：运输中。"
           "预计送达：12月8日。",
           "请问是哪个订单？请告诉我订单号（以KF开头），或在下方选择。"],
}


def pct(xs: list[float], p: float) -> float:
    return float(np.percentile(xs, p)) if xs else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    from tests.voice.speech import caller_audio, phone, recovered, voices
    from voice.asr import WhisperASR
    from voice.resample import resample, to_int16
    from voice.text import sentences, speakable, written

    asr = WhisperASR(Path("var/models/whisper-base"), threads=args.threads)
    t0 = time.perf_counter()
    asr.warm_up()
    for tts in voices().values():
        getattr(tts, "warm_up", lambda: None)()
    print(f"load: {time.perf_counter() - t0:.1f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for lang in ("en", "zh"):
        decode, rtf, ids = [], [], 0
        for q in QUESTIONS[lang]:
            audio = phone(caller_audio(q, lang))
            tr = asr.transcribe(audio, lang)
            decode.append(tr.decode_s)
            rtf.append(tr.decode_s / tr.audio_s)
            ids += q.split("KF")[1][:8] in written(tr.text)
        print(f"[{lang}] ASR of {len(decode)} questions: decode p50 {pct(decode, 50):.2f} s, "
              f"p95 {pct(decode, 95):.2f} s; RTF p50 {statistics.median(rtf):.2f}; "
              f"order id heard exactly {ids}/{len(decode)}")
        synth, audio_s, scores = [], 0.0, []
        for reply in REPLIES[lang]:
            parts = []
            for s in sentences(reply):
                t = time.perf_counter()
                speech = voices()[lang].synthesize(speakable(s, lang), lang)
                synth.append(time.perf_counter() - t)
                audio_s += speech.seconds
                parts.append(to_int16(resample(speech.pcm, speech.sample_rate, 8000)))
            heard = asr.transcribe(phone(np.concatenate(parts)), lang).text
            scores.append(recovered(reply, heard, lang))
        print(f"[{lang}] TTS ({type(voices()[lang]).__name__}): {len(synth)} sentences, p50 {pct(synth, 50):.2f} s "
              f"a sentence, RTF {sum(synth) / audio_s:.2f}; read-back recovered "
              + ", ".join(f"{s:.1%}" for s in scores))


if __name__ == "__main__":
    main()
