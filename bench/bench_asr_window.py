"""Whisper's encoder window on phone utterances: decode time and accuracy of the short window (`voice.asr.whisper`:
the utterance padded to the next of `WINDOWS_S` with `MARGIN_S` of silence to spare) against the 30 s window that
faster-whisper's `transcribe` always encodes.

Utterances, all through the 8 kHz μ-law line: the benches' and tests' caller questions and turn-end phrases said by
the bundled voices (en: Piper; zh: the neural Mandarin voice), and a seeded sample of real acted speech from
`../shared/data/emotional_speech/` (CASIA, zh; RAVDESS and TESS, en) with its labelled text. Per set and window:
WER (en words) / CER (zh characters) against the reference text, how many transcripts the short window changed
(and the error rate of the short window's text against the 30 s one's), decode p50/p95; then language detection
(no language given) right per window, and its cost.

Recogniser settings compared on the shipped short window, same clips, same session: `--legacy-prompts` (the prompts
before the store-hotline ones: zh "以下是普通话的句子。", en none), `--prompt zh=TEXT` (any prompt), `--beam 5`.

    .venv/bin/python bench/bench_asr_window.py [--per-corpus 40] [--configs '10+0 5,10,20+2/audio'] [--show]
    .venv/bin/python bench/bench_asr_window.py --legacy-prompts --beam 5 --no-language
    .venv/bin/python bench/bench_asr_window.py --tail-ms 200 --no-language   # as the call decodes at its pause
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "data" / "emotional_speech"
SPOKEN = {
    "en": [
        "Hi, where is my order KF10000002?",
        "Can you check order KF10000001 for me?",
        "I want to return order KF10000004.",
        "Where is my parcel?",
        "I want to ask about the",
        "return of order KF10000004.",
        "Hi, where is my order KF10001190?",
        "Can you check order KF10000804?",
        "I want to return order KF10000012, it does not fit.",
        "can you cancel my order please",
        "I would like a refund for the blue jacket",
        "the parcel arrived damaged yesterday",
        "I want to return it",
        "please send it to my office",
        "it does not fit",
        "can you check my",
        "my order number is",
        "I need to change the",
        "could you tell me if",
        "the one I ordered last",
    ],
    "zh": [
        "你好，我的订单KF10001190到哪了？",
        "我的订单KF10000537到哪了？",
        "帮我查一下订单KF10000804。",
        "我要退货，订单KF10000012，尺码不合适。",
        "这个可以退货吗",
        "衣服收到了尺码偏小想换一件大一号的",
        "我上周买的耳机今天还没发货",
        "我要退这件外套",
        "帮我把地址改成上海",
        "快递一直显示在路上",
        "发票开公司抬头",
        "我想问一下那个",
        "我上周买的那个",
        "请问你们这个",
        "我的订单号是",
        "能不能帮我",
        "这个耳机的",
    ],
}


@dataclass
class Clip:
    set: str
    language: str
    text: str
    audio: np.ndarray  # float32, 16 kHz, as it comes off the phone line
    early: np.ndarray | None = None  # `--early-ms`: the last (tail - early) ms zeroed, as decoded at silence onset
    extra_rms: float = 0.0  # the loudest 20 ms frame of what `early` zeroed (int16 RMS at 8 kHz)


@dataclass
class Result:
    text: str
    decode_s: float
    cpu_s: float  # of the whole process (the decoder's threads too): less inflated than wall time on a busy machine


@dataclass
class Tally:
    errors: int = 0
    ref_tokens: int = 0
    changed: int = 0
    vs_full_errors: int = 0
    vs_full_tokens: int = 0
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def edits(ref: list[str], hyp: list[str]) -> int:
    """Levenshtein distance over tokens."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def cut(pcm8k: np.ndarray, tail_ms: int | None) -> np.ndarray:
    """The clip as the call decodes it at the caller's last pause: the turn detector's utterance (from its onset's
    preroll to the last speech frame) with `tail_ms` of the silence after it (None: the clip as it is)."""
    if tail_ms is None:
        return pcm8k
    from voice.vad import TurnDetector, Utterance, WebRtcVad

    vad, step = WebRtcVad(), 160
    detector = TurnDetector(8000, end_silence_ms=max(1000, tail_ms + 20), tail_ms=tail_ms)
    pad = np.zeros(step * 60, dtype=np.int16)
    audio = np.concatenate([pad[: step * 15], pcm8k, pad])
    utterances = []
    for i in range(0, len(audio) - step + 1, step):
        event = detector.push(audio[i : i + step], vad.is_speech(audio[i : i + step], 8000))
        if isinstance(event, Utterance):
            utterances.append(event.pcm)
    return np.concatenate(utterances) if utterances else pcm8k


def early(pcm8k: np.ndarray, tail_ms: int, early_ms: int) -> tuple[np.ndarray, float]:
    """A clip cut at `tail_ms` as the speculative decode at `early_ms` of silence sees it (`voice.asr.partial`): the
    last `tail_ms - early_ms` zeroed; and the loudest 20 ms frame of what was zeroed (its RMS through μ-law)."""
    from voice.codecs import ulaw_decode, ulaw_encode

    n = 8000 * (tail_ms - early_ms) // 1000
    extra = ulaw_decode(ulaw_encode(pcm8k[len(pcm8k) - n :])).astype(np.float64)  # as the call hears the line
    loudest = max((float(np.sqrt(np.mean(np.square(extra[i : i + 160])))) for i in range(0, n, 160)), default=0.0)
    out = pcm8k.copy()
    out[len(out) - n :] = 0
    return out, loudest


def with_early(clip: Clip, pcm8k: np.ndarray, tail_ms: int | None, early_ms: int | None) -> Clip:
    from tests.voice.speech import phone

    if tail_ms is not None and early_ms is not None:
        pcm, clip.extra_rms = early(pcm8k, tail_ms, early_ms)
        clip.early = phone(pcm)
    return clip


def corpus_clips(per_corpus: int, seed: int, tail_ms: int | None = None, early_ms: int | None = None) -> list[Clip]:
    import soundfile as sf

    from tests.voice.speech import phone
    from voice.resample import resample, to_int16

    rng = random.Random(seed)
    clips = []
    for name, language in (("casia", "zh"), ("ravdess", "en"), ("tess", "en")):
        labels = CORPORA / name / "labels.csv"
        if not labels.is_file():
            print(f"({name}: not found at {labels}; skipped)")
            continue
        rows = list(csv.DictReader(labels.open(encoding="utf-8")))
        for row in rng.sample(rows, min(per_corpus, len(rows))):
            pcm, rate = sf.read(CORPORA / name / row["path"], dtype="float32")
            pcm8k = to_int16(resample(pcm if pcm.ndim == 1 else pcm.mean(axis=1), rate, 8000))
            at_pause = cut(pcm8k, tail_ms)
            clips.append(with_early(Clip(name, language, row["text"], phone(at_pause)), at_pause, tail_ms, early_ms))
    return clips


def spoken_clips(tail_ms: int | None = None, early_ms: int | None = None) -> list[Clip]:
    from tests.voice.speech import caller_audio, phone

    clips = []
    for lang, texts in SPOKEN.items():
        for text in texts:
            at_pause = cut(caller_audio(text, lang), tail_ms)
            clips.append(with_early(Clip(f"voices-{lang}", lang, text, phone(at_pause)), at_pause, tail_ms, early_ms))
    return clips


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-corpus", type=int, default=40, help="clips drawn from each corpus")
    parser.add_argument(
        "--configs",
        default="",
        help="short windows to try instead of the shipped one, space-"
        "separated WINDOWS+MARGIN[/audio] (/audio: pad with silence before the mel), e.g. "
        "'10+0 5,10,15,20+2/audio'",
    )
    parser.add_argument("--legacy-prompts", action="store_true", help="also the prompts before the hotline ones")
    parser.add_argument("--prompt", action="append", default=[], metavar="LANG=TEXT", help="also this prompt")
    parser.add_argument("--beam", type=int, action="append", default=[], help="also this beam size")
    parser.add_argument("--no-language", action="store_true", help="skip language detection")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--show", action="store_true", help="print every transcript the short window changed")
    parser.add_argument(
        "--tail-ms",
        type=int,
        help="cut each clip as the call decodes it at the pause: its speech and this much silence after it "
        "(CallConfig.pause_ms; default: the clip as it is, its own trailing silence in)",
    )
    parser.add_argument(
        "--no-full",
        action="store_true",
        help="skip the 30 s window (its ~1.7 s CPU a clip): the '30 s' rows are the shipped short window's",
    )
    parser.add_argument(
        "--early-ms",
        type=int,
        help="with --tail-ms: also the speculative decode at this much silence (the rest of the tail zeroed), kept "
        "when what it zeroed is quieter than each of --quiet-rms (CallConfig.early_ms, quiet_rms)",
    )
    parser.add_argument("--quiet-rms", default="30,60,100", help="int16 RMS thresholds for --early-ms, comma-separated")
    parser.add_argument("--sets", default="", help="only these sets, comma-separated (voices-en,casia,…)")
    args = parser.parse_args()
    from tests.voice.speech import tokens
    from voice.asr import WhisperASR
    from voice.asr import whisper as whisper_module

    model = Path("var/models/whisper-base")
    asr = WhisperASR(model, threads=args.threads)
    asr.warm_up()
    others = {}  # recogniser settings to compare, on the shipped short window
    if args.legacy_prompts:
        others["legacy prompts"] = WhisperASR(model, threads=args.threads,
                                              prompts=whisper_module.PLAIN_PROMPTS)
    for n, spec in enumerate(args.prompt, 1):
        lang, _, text = spec.partition("=")
        others[f"prompt {lang} #{n}"] = WhisperASR(model, threads=args.threads, prompts={lang: text})
    for beam in args.beam:
        others[f"beam {beam}"] = WhisperASR(model, threads=args.threads, beam_size=beam)
    for other in others.values():
        other.warm_up()
    clips = spoken_clips(args.tail_ms, args.early_ms) + corpus_clips(
        args.per_corpus, args.seed, args.tail_ms, args.early_ms
    )
    if args.sets:
        clips = [c for c in clips if c.set in args.sets.split(",")]
    seconds = [len(c.audio) / 16000 for c in clips]
    print(
        f"{len(clips)} clips{f' cut {args.tail_ms} ms after their speech' if args.tail_ms is not None else ''}, "
        f"{min(seconds):.1f}–{max(seconds):.1f} s (p50 {np.median(seconds):.1f} s); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    shipped = (whisper_module.WINDOWS_S, whisper_module.MARGIN_S, whisper_module.PAD)
    configs = {"shipped": shipped}
    for spec in args.configs.split():
        windows, _, rest = spec.partition("+")
        margin, _, pad = rest.partition("/")
        configs[spec] = (tuple(int(w) for w in windows.split(",")), float(margin or 0), pad or "features")

    def run(window: str, config: tuple[tuple[int, ...], float, str], language: bool,
            recogniser: WhisperASR = asr) -> list[Result]:
        whisper_module.WINDOWS_S, whisper_module.MARGIN_S, whisper_module.PAD = config
        recogniser.window = window  # type: ignore[assignment]
        out = []
        for clip in clips:
            t, cpu = time.perf_counter(), time.process_time()
            tr = recogniser.transcribe(clip.audio, clip.language if language else None)
            out.append(Result(tr.text if language else tr.language, time.perf_counter() - t,
                              time.process_time() - cpu))
        return out

    fallbacks = 0
    original_full = asr._full

    def counted_full(audio, language, prompt=None, context=""):  # type: ignore[no-untyped-def]
        nonlocal fallbacks
        fallbacks += asr.window == "short"
        return original_full(audio, language, prompt, context)

    asr._full = counted_full  # type: ignore[method-assign]
    full = run("short", shipped, True) if args.no_full else run("full", shipped, True)
    shorts, redone = {}, {}
    for name, config in configs.items():
        fallbacks = 0
        shorts[name] = run("short", config, True)
        redone[name] = fallbacks
    if args.early_ms is not None and args.tail_ms is not None:
        speculative = []
        for clip in clips:
            t, cpu = time.perf_counter(), time.process_time()
            tr = asr.transcribe(clip.early, clip.language)
            speculative.append(Result(tr.text, time.perf_counter() - t, time.process_time() - cpu))
        shorts[f"early {args.early_ms} always"] = speculative
        for threshold in (float(x) for x in args.quiet_rms.split(",")):
            kept = [c.extra_rms < threshold for c in clips]
            print(f"early {args.early_ms} ms, quiet < {threshold:g}: kept {sum(kept)}/{len(clips)} "
                  + ", ".join(f"{s} {sum(k for k, c in zip(kept, clips, strict=True) if c.set == s)}/"
                              f"{sum(c.set == s for c in clips)}" for s in sorted({c.set for c in clips})))
            shorts[f"early {args.early_ms} <{threshold:g}"] = [
                e if k else b for e, b, k in zip(speculative, shorts["shipped"], kept, strict=True)
            ]
    for name, other in others.items():  # then the shipped one again: a change of load shows between its two runs
        shorts[name] = run("short", shipped, True, other)
    if others:
        shorts["shipped (again)"] = run("short", shipped, True)
    print("decoded again in 30 s (looped): " + ", ".join(f"{n} {k}/{len(clips)}" for n, k in redone.items()))
    sets = sorted({c.set for c in clips})
    print("set            window                    WER/CER  changed  vs 30 s   decode p50   p95   CPU p50")
    for s in [*sets, "all"]:
        idx = [i for i, c in enumerate(clips) if s in (c.set, "all")]
        for name, results in [("30 s", full)] + [(f"short {n}", r) for n, r in shorts.items()]:
            t = Tally()
            for i in idx:
                c, r = clips[i], results[i]
                ref, hyp, base = (tokens(x, c.language) for x in (c.text, r.text, full[i].text))
                t.errors += edits(ref, hyp)
                t.ref_tokens += len(ref)
                t.changed += r.text != full[i].text
                t.vs_full_errors += edits(base, hyp)
                t.vs_full_tokens += len(base)
                t.times.append(r.decode_s)
                t.cpu.append(r.cpu_s)
            print(
                f"{s:<14} {name:<24} {t.errors / max(1, t.ref_tokens):7.1%}  {t.changed:3d}/{len(idx):<3d}"
                f" {t.vs_full_errors / max(1, t.vs_full_tokens):7.1%}   {np.percentile(t.times, 50) * 1000:6.0f} ms"
                f" {np.percentile(t.times, 95) * 1000:6.0f} ms {np.percentile(t.cpu, 50) * 1000:6.0f} ms"
            )
    if args.show:
        for name, results in shorts.items():
            for c, a, b in zip(clips, full, results, strict=True):
                if a.text != b.text:
                    print(f"  {name} [{c.set}] {c.text!r}\n      30 s: {a.text!r}\n      short: {b.text!r}")
    if args.no_language:
        return
    print("language detection (no language given):")
    for name, window in [("30 s", "full"), ("short (shipped)", "short")]:
        results = run(window, shipped, False)
        right = sum(r.text == c.language for r, c in zip(results, clips, strict=True))
        times = [r.decode_s for r in results]
        print(
            f"  {name:<16} right {right}/{len(clips)}; detect + decode p50 {np.percentile(times, 50) * 1000:.0f} ms,"
            f" p95 {np.percentile(times, 95) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
