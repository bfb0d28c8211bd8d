"""Phone calls in process: end of the caller's speech → first reply audio frame, and how many concurrent calls one
process holds with that p95 under 1 s.

Each call is the real call loop (`voice.call.Call`) behind the Twilio serializer: the caller's question in English
or Mandarin (`--languages`; said by the bundled voices, Piper and the neural Mandarin voice) goes in as Twilio `media`
messages of 8 kHz μ-law, 20 ms each, paced in real time, then silence; recognition is faster-whisper-base int8,
detection WebRTC, the reply a template from the agent over the in-memory test stores, in the call's language, spoken
by the same voices. The calls alternate the languages' questions; the figures are of all calls, then per language.
The latency is counted from the last frame of the question's speech (the
last 20 ms frame the VAD calls speech, not the end of the clip with the voice's trailing silence: what the caller
waits, end-of-turn silence included, the target's clock) and, for reference, from the end of the turn
(when the call can act).

In the same run: the fixed end of turn (`end_silence_ms`, 600 ms of silence, `turn_end_model=False`) and the end of
turn from the words too (`voice.turn_end`: a transcript at the pause that sounds finished ends the turn after
`early_end_ms`), both decoding at the pause (partials per `--interval`: by default none, as `CallConfig`); then a
caller who pauses 700 ms mid-sentence ("I want to ask about the … return of order KF10000004"): answered as one
turn, or cut in two. Then calls are added 1, 2, 4, … (to `--max-calls`) with the words + silence mode until the p95
from the last speech frame passes 1 s, for each set-up in `--ramp` (Whisper threads per decode × decodes at once,
@ partial interval; e.g. `2x1@1,2x1@0,1x2@1`).

Every reply sentence is synthesised by default (`--tts-cache 0`, a cold server): the bench asks the same few
questions again and again, so the server's synthesis cache (`voice.tts.CachedTTS`) would answer nearly all of them
from memory and flatter the figure; `--tts-cache 600` runs with the server's cache and ends with its hits.
`--profile N` first prints N calls' timelines (words mode): every decode, the end of the turn, the
agent's turn, each sentence's synthesis and the first audio frame, in ms from the last speech frame.

    .venv/bin/python bench/bench_voice_calls.py [--rounds 4] [--max-calls 8] [--interval 0] [--ramp 2x1@1]
                                                [--json out.json] [--profile 2 [--only-profile]]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

QUESTIONS = {
    "en": [
        "Hi, where is my order KF10000002?",
        "Can you check order KF10000001 for me?",
        "I want to return order KF10000004.",
        "Where is my parcel?",
    ],
    "zh": [
        "你好，我的订单KF10000002到哪了？",
        "帮我查一下订单KF10000001。",
        "我要退货，订单号是KF10000004。",
        "我的快递到哪了？",
    ],
}
FRAME_MS = 20
PAUSED = ("I want to ask about the", "return of order KF10000004.")  # said with a pause between
PAUSE_MS = 700
CONFIG: dict[str, object] = {}  # CallConfig fields set from the command line (--pause-ms)


@dataclass
class Sample:
    from_turn_end_s: float | None
    from_speech_end_s: float | None
    asr_wait_s: float
    asr_s: float
    speech_s: float
    early: bool
    from_clip_end_s: float | None = None  # from the end of the question's clip (its voice's trailing silence in)
    end_silence_ms: int = 0
    finished_p: float | None = None  # how finished the words at the pause sounded (None: not judged)
    turns: int = 1
    transcript: str = ""
    language: str = "en"


class Traced:
    """A recogniser, voice or agent whose blocking calls (`transcribe`, `synthesize`, `handle`) are logged to `trace`
    as (what, start, end, detail) on the perf_counter clock: where a call's time goes (`--profile`)."""

    def __init__(self, inner, trace: list[tuple[str, float, float, str]]) -> None:  # type: ignore[no-untyped-def]
        self._inner, self._trace = inner, trace

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._inner, name)

    def transcribe(self, audio, language, **kwargs):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        try:
            tr = self._inner.transcribe(audio, language, **kwargs)
        except Exception as exc:  # a stale decode given up (`Superseded`)
            self._trace.append(("decode", t, time.perf_counter(), f"{len(audio) / 16000:.2f} s: {type(exc).__name__}"))
            raise
        self._trace.append(("decode", t, time.perf_counter(), f"{len(audio) / 16000:.2f} s of audio: {tr.text!r}"))
        return tr

    def synthesize(self, text, language):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        speech = self._inner.synthesize(text, language)
        self._trace.append(("synthesize", t, time.perf_counter(), f"{speech.seconds:.2f} s of audio: {text!r}"))
        return speech

    async def handle(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        out = await self._inner.handle(*args, **kwargs)
        self._trace.append(("agent turn", t, time.perf_counter(), repr(out.reply.text[:60])))
        return out


def timeline(trace: list[tuple[str, float, float, str]]) -> None:
    """One call's events in ms from the end of the caller's speech."""
    zero = next(t for what, t, _, _ in trace if what == "speech end")
    for what, start, end, detail in sorted(trace, key=lambda e: (e[1], e[2])):
        span = f"{(start - zero) * 1000:6.0f} → {(end - zero) * 1000:6.0f} ms ({(end - start) * 1000:4.0f})"
        print(f"    {span if end > start else f'{(start - zero) * 1000:6.0f} ms':<32} {what:<22} {detail}")


def pct(xs: list[float], p: float) -> float:
    return float(np.percentile(xs, p)) if xs else float("nan")


def media(sid: str, i: int, payload: bytes) -> str:
    return json.dumps(
        {
            "event": "media",
            "streamSid": sid,
            "media": {
                "track": "inbound",
                "chunk": str(i),
                "timestamp": str(i * FRAME_MS),
                "payload": base64.b64encode(payload).decode("ascii"),
            },
        }
    )


def last_voiced(pcm: np.ndarray, vad) -> int:  # type: ignore[no-untyped-def]
    """Frames up to and including the last one the VAD calls speech (the voice's own trailing silence is not)."""
    step = 8000 * FRAME_MS // 1000
    voiced = [i for i in range(len(pcm) // step) if vad.is_speech(pcm[i * step : (i + 1) * step], 8000)]
    return voiced[-1] + 1 if voiced else len(pcm) // step


async def one_call(  # type: ignore[no-untyped-def]
    n: int,
    question: np.ndarray,
    asr,
    tts,
    vad,
    *,
    interval: float | None,
    turn_end: bool = True,
    trace: list[tuple[str, float, float, str]] | None = None,
    config: dict[str, object] | None = None,
    stay_s: float = 0.0,
    language: str = "en",
) -> Sample:
    from tests.fakes import make_agent
    from voice.call import Call, CallConfig
    from voice.codecs import ulaw_encode
    from voice.frames import AudioOut
    from voice.serializers.twilio import TwilioSerializer

    serializer = TwilioSerializer()
    cid = f"bench-{n}"
    agent = make_agent()
    await agent.start(cid, channel="voice", customer_id="C1", language=language)
    first_audio: list[float] = []

    async def send(frame) -> None:  # type: ignore[no-untyped-def]
        serializer.encode(frame)  # what would go on the socket
        if isinstance(frame, AudioOut) and not first_audio:
            first_audio.append(time.perf_counter())

    if trace is not None:
        asr, tts, agent = Traced(asr, trace), Traced(tts, trace), Traced(agent, trace)
    call = Call(
        agent=agent,
        conversation_id=cid,
        asr=asr,
        tts=tts,
        vad=vad,
        send=send,
        config=CallConfig(
            language=language,
            greet=False,
            silence_s=0,
            decode_while_speaking=interval is not None,
            partial_interval_s=interval or 0.0,
            turn_end_model=turn_end,
            **{**CONFIG, **(config or {})},  # type: ignore[arg-type]
        ),
    )
    sid = f"MZ{n}"
    for raw in (
        json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}),
        json.dumps(
            {
                "event": "start",
                "streamSid": sid,
                "start": {
                    "streamSid": sid,
                    "callSid": f"CA{n}",
                    "accountSid": "AC0",
                    "tracks": ["inbound"],
                    "customParameters": {},
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                },
            }
        ),
    ):
        frame = serializer.decode(raw)
        if frame is not None:
            await call.on_frame(frame)
    step = 8000 * FRAME_MS // 1000
    lead, tail = np.zeros(step * 15, dtype=np.int16), np.zeros(step * 100, dtype=np.int16)  # 0.3 s, 2 s
    data = ulaw_encode(np.concatenate([lead, question, tail]))
    speech_end_frame = len(lead) // step + last_voiced(question, vad)
    clip_end_frame, clip_end = (len(lead) + len(question)) // step, 0.0
    start, speech_end = time.perf_counter(), 0.0
    for i, offset in enumerate(range(0, len(data), step)):
        frame = serializer.decode(media(sid, i, data[offset : offset + step]))
        if frame is not None:
            await call.on_frame(frame)
        if i + 1 == speech_end_frame:
            speech_end = time.perf_counter()
        if i + 1 == clip_end_frame:
            clip_end = time.perf_counter()
        await asyncio.sleep(max(0.0, start + (i + 1) * FRAME_MS / 1000 - time.perf_counter()))
        if first_audio and i > clip_end_frame and time.perf_counter() - first_audio[0] >= stay_s:
            break
    i = len(data) // step
    while first_audio and time.perf_counter() - first_audio[0] < stay_s:  # on the line, listening to the reply
        frame = serializer.decode(media(sid, i, ulaw_encode(np.zeros(step, dtype=np.int16))))
        if frame is not None:
            await call.on_frame(frame)
        i += 1
        await asyncio.sleep(max(0.0, start + i * FRAME_MS / 1000 - time.perf_counter()))
    deadline = time.perf_counter() + 10
    while not first_audio and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    stats = call.turns[0] if call.turns else None
    await call.hang_up()
    if trace is not None:
        trace.append(("speech end", speech_end, speech_end, ""))
        if stats is not None and stats.first_audio_s is not None and first_audio:
            trace.append(
                (
                    "turn end",
                    first_audio[0] - stats.first_audio_s,
                    first_audio[0] - stats.first_audio_s,
                    f"after {stats.end_silence_ms} ms of silence",
                )
            )
        if first_audio:
            trace.append(("first audio frame sent", first_audio[0], first_audio[0], ""))
    return Sample(
        stats.first_audio_s if stats else None,
        first_audio[0] - speech_end if first_audio else None,
        stats.asr_wait_s if stats else float("nan"),
        stats.asr_s if stats else float("nan"),
        stats.speech_s if stats else float("nan"),
        bool(stats and stats.decoded_early),
        first_audio[0] - clip_end if first_audio and clip_end else None,
        stats.end_silence_ms if stats else 0,
        stats.finished_p if stats else None,
        len(call.turns),
        stats.transcript if stats else "",
        language,
    )


async def level(  # type: ignore[no-untyped-def]
    calls: int,
    rounds: int,
    questions: list[tuple[np.ndarray, str]],
    asr,
    tts,
    vad,
    *,
    interval: float | None,
    turn_end: bool = True,
) -> list[Sample]:
    samples: list[Sample] = []
    cpu, wall = time.process_time(), time.perf_counter()
    for r in range(rounds):
        samples += await asyncio.gather(
            *(
                one_call(
                    r * 100 + c,
                    questions[(r + c) % len(questions)][0],
                    asr,
                    tts,
                    vad,
                    interval=interval,
                    turn_end=turn_end,
                    language=questions[(r + c) % len(questions)][1],
                )
                for c in range(calls)
            )
        )
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"    (process CPU {cpu:.1f} s over {wall:.1f} s of wall time: {cpu / wall:.2f} cores busy)")
    return samples


def summary(name: str, samples: list[Sample]) -> tuple[float, float]:
    """Prints the figures; returns p50 and p95 from the last speech frame (inf p95 when a call went unanswered)."""
    turn = [s.from_turn_end_s for s in samples if s.from_turn_end_s is not None]
    speech = [s.from_speech_end_s for s in samples if s.from_speech_end_s is not None]
    clip = [s.from_clip_end_s for s in samples if s.from_clip_end_s is not None]
    wait = [s.asr_wait_s for s in samples if s.from_turn_end_s is not None]
    decode = [s.asr_s for s in samples if s.from_turn_end_s is not None]
    silence = [s.end_silence_ms for s in samples if s.from_turn_end_s is not None]
    early = sum(s.early for s in samples)
    judged = [s.finished_p for s in samples if s.finished_p is not None]
    from voice.call import CallConfig

    cut_off = CallConfig().finished_p
    finished = sum(p >= cut_off for p in judged)
    missed = len(samples) - len(speech)

    def ms(xs: list[float], p: float) -> str:
        return f"{pct(xs, p) * 1000:4.0f} ms"

    print(
        f"  {name:<34} from last speech frame p50 {ms(speech, 50)}, p95 {ms(speech, 95)}"
        f" | from the clip's end p50 {ms(clip, 50)}, p95 {ms(clip, 95)}"
        f" | end of turn → first audio p50 {ms(turn, 50)}, p95 {ms(turn, 95)}"
        f" | end-of-turn silence p50 {pct(silence, 50):4.0f} ms | decode p50 {ms(decode, 50)}"
        f" | transcript ready after turn end p50 {ms(wait, 50)}"
        f" | decoded at the pause {early}/{len(samples)}"
        + (f" | words sounded finished (p ≥ {cut_off:g}) {finished}/{len(judged)}" if judged else "")
        + (f" | {missed} unanswered" if missed else "")
    )
    return pct(speech, 50), pct(speech, 95) if not missed else float("inf")


def verdict(p50: float, p95: float) -> str:
    return (
        f"p50 {p50 * 1000:.0f} ms vs target ≤ 500: {'met' if p50 <= 0.5 else 'NOT met'}; "
        f"p95 {p95 * 1000:.0f} ms vs target < 1000: {'met' if p95 < 1.0 else 'NOT met'}"
    )


def _field_value(default: object, text: str) -> object:
    """A `CallConfig` field's value from the command line, of the default's type ("false"/"0" for a bool)."""
    if isinstance(default, bool):
        return text.strip().lower() in ("1", "true", "yes", "on")
    return type(default)(text)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--rounds", type=int, default=8, help="calls one at a time, a question each, languages alternating (ramp: half)"
    )
    parser.add_argument("--languages", nargs="+", default=["en", "zh"], choices=sorted(QUESTIONS))
    parser.add_argument("--max-calls", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--interval", type=float, help="a partial decode per this much speech (0: none; default: CallConfig's)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--tts-cache", type=float, default=0.0,
        help="seconds of said sentences kept (600: as the server; default 0: every sentence synthesised)"
    )
    parser.add_argument("--pause-ms", type=int, help="silence before the decode at the pause (CallConfig.pause_ms)")
    parser.add_argument(
        "--ab",
        help="FIELD=VALUE,…: only an A/B, one call at a time in words + silence mode, calls with CallConfig as shipped "
        "(A) and with these fields set (B) interleaved in this process (a shared machine's load falls on both alike)",
    )
    parser.add_argument("--ab-rounds", type=int, default=6, help="--ab: calls per side per question")
    parser.add_argument("--profile", type=int, default=0, help="first: this many calls' timelines (words mode)")
    parser.add_argument("--only-profile", action="store_true", help="the timelines alone")
    parser.add_argument(
        "--ramp",
        default="2x1",
        help="set-ups of the concurrency ramp, comma-separated: "
        "THREADSxDECODES_AT_ONCE@PARTIAL_INTERVAL_S (Whisper threads per decode, CTranslate2 "
        "workers, a partial per this much speech, 0: none), e.g. 2x1@1,2x1@0,1x2@1",
    )
    args = parser.parse_args()
    from voice.call import CallConfig

    if args.interval is None:
        args.interval = CallConfig().partial_interval_s
    if args.pause_ms is not None:
        CONFIG["pause_ms"] = args.pause_ms
    from tests.voice.speech import caller_audio, voices
    from voice.asr import WhisperASR
    from voice.resample import resample
    from voice.tts import ByLanguage, CachedTTS
    from voice.vad import WebRtcVad

    asr = WhisperASR(Path("var/models/whisper-base"), threads=args.threads)
    t0 = time.perf_counter()
    asr.warm_up()
    # as the server's: with --tts-cache a template sentence said before is not synthesised again
    tts = ByLanguage({lang: voices()[lang] for lang in args.languages}, cache_s=args.tts_cache)
    tts.warm_up()
    # the languages' questions alternating: en 1, zh 1, en 2, zh 2, …
    questions = [
        (caller_audio(QUESTIONS[lang][i], lang), lang)
        for i in range(max(len(QUESTIONS[lang]) for lang in args.languages))
        for lang in args.languages
        if i < len(QUESTIONS[lang])
    ]
    vad = WebRtcVad()
    trailing = [(len(q) // (8000 * FRAME_MS // 1000) - last_voiced(q, vad)) * FRAME_MS for q, _ in questions]
    print(f"the questions' clips end {min(trailing)}–{max(trailing)} ms after their last speech frame")
    print(f"load {time.perf_counter() - t0:.1f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    rtf = []
    for q, lang in questions:
        tr = asr.transcribe(resample(q, 8000, 16000), lang)
        rtf.append(tr.decode_s / tr.audio_s)
    print(
        f"ASR real-time factor (full decode, {len(rtf)} questions, {args.threads} threads): p50 "
        f"{pct(rtf, 50):.2f}, p95 {pct(rtf, 95):.2f} (lower is faster; < 1 keeps up with speech)"
    )

    if args.ab:
        b = {k: _field_value(getattr(CallConfig(), k), v) for k, _, v in (f.partition("=") for f in args.ab.split(","))}
        sides: dict[str, list[Sample]] = {"A": [], "B": []}
        cpu = {"A": 0.0, "B": 0.0}
        decodes: dict[str, list[tuple[str, float, float, str]]] = {"A": [], "B": []}
        for r in range(args.ab_rounds * len(questions)):
            order = ("A", "B") if r % 2 == 0 else ("B", "A")
            for side in order:
                c = time.process_time()
                trace: list[tuple[str, float, float, str]] = []
                question, lang = questions[r % len(questions)]
                sides[side].append(
                    await one_call(
                        700 + r, question, asr, tts, vad, interval=args.interval,
                        config=b if side == "B" else None, trace=trace, language=lang,
                    )
                )
                cpu[side] += time.process_time() - c
                decodes[side] += [e for e in trace if e[0] == "decode"]
        print(f"A/B, words + silence, one call at a time, interleaved ({len(sides['A'])} calls a side; B: {b}):")
        for side, samples in sides.items():
            n = len(samples)
            given_up = sum("Superseded" in e[3] for e in decodes[side])
            summary(
                f"{side} (CPU {cpu[side] / n:.2f} s, {len(decodes[side]) / n:.1f} decodes ({given_up / n:.1f} given"
                f" up), {sum(e[2] - e[1] for e in decodes[side]) / n:.2f} s decoding a call)",
                samples,
            )
        print(f"  load average now {os.getloadavg()[0]:.1f}")
        return

    for n in range(args.profile):
        trace: list[tuple[str, float, float, str]] = []
        question, lang = questions[n % len(questions)]
        await one_call(800 + n, question, asr, tts, vad, interval=args.interval, trace=trace, language=lang)
        print(f"call {n + 1}'s timeline (ms from the last speech frame; partials every {args.interval:g} s):")
        timeline(trace)
    if args.only_profile:
        return

    mode = f"pause + partials every {args.interval:g} s"
    print(
        f"one call at a time, same questions, {mode} (target: p50 ≤ 500 ms, p95 < 1000 ms from the last speech frame):"
    )
    fixed = await level(1, args.rounds, questions, asr, tts, vad, interval=args.interval, turn_end=False)
    base = summary("fixed 600 ms end-of-turn silence", fixed)
    words = await level(1, args.rounds, questions, asr, tts, vad, interval=args.interval, turn_end=True)
    new = summary("words + silence (turn-end model)", words)
    by_language = {}
    for lang in args.languages:
        mine = [s for s in words if s.language == lang]
        if mine:
            by_language[lang] = summary(f"  of which {lang} ({len(mine)} calls)", mine)
    print(f"  → fixed 600 ms: {verdict(*base)}")
    print(f"  → words + silence: {verdict(*new)}")

    first, rest = (caller_audio(part, "en") for part in PAUSED)
    gap = np.zeros(8000 * PAUSE_MS // 1000, dtype=np.int16)
    paused = np.concatenate([first, gap, rest])
    print(f"a caller pausing {PAUSE_MS} ms mid-sentence ({PAUSED[0]!r} … {PAUSED[1]!r}):")
    for name, turn_end in (("fixed 600 ms", False), ("words + silence", True)):
        samples = [
            await one_call(900 + r, paused, asr, tts, vad, interval=args.interval, turn_end=turn_end)
            for r in range(max(1, args.rounds // 2))
        ]
        whole = sum(s.turns == 1 and "return" in s.transcript.lower() for s in samples)
        p = samples[0].finished_p
        print(
            f"  {name:<18} answered the whole sentence as one turn in {whole}/{len(samples)} calls; first turn "
            f"heard: {samples[0].transcript!r} after {samples[0].end_silence_ms} ms of silence"
            + (f" (its words sounded finished with p {p:.2f})" if p is not None else "")
        )

    held_by_setup: dict[str, int] = {}
    for setup in args.ramp.split(","):
        shape, _, every = setup.partition("@")
        threads, workers = (int(x) for x in shape.split("x"))
        interval = float(every or args.interval)
        ramp_asr = (
            asr
            if (threads, workers) == (args.threads, 1)
            else WhisperASR(Path("var/models/whisper-base"), threads=threads, workers=workers)
        )
        ramp_asr.warm_up()
        partials = f"partials every {interval:g} s" if interval else "no partials"
        print(
            f"concurrent calls, words + silence, Whisper {threads} thread(s) × {workers} decode(s) at once, "
            f"{partials} (target: the most calls with p95 < 1 s from the last speech frame):"
        )
        held, calls = 0, 1
        while calls <= args.max_calls:
            samples = await level(
                calls, max(1, args.rounds // 2), questions, ramp_asr, tts, vad, interval=interval, turn_end=True
            )
            _, p95 = summary(f"{calls} call(s)", samples)
            if p95 >= 1.0:
                break
            held, calls = calls, calls * 2
        print(
            f"  → one process holds {held} concurrent call(s) with p95 < 1 s"
            + (f" (stopped at --max-calls {args.max_calls})" if calls > args.max_calls else "")
        )
        held_by_setup[setup] = held
    cached = [v for v in tts.voices.values() if isinstance(v, CachedTTS)]
    if cached:
        hits, misses = sum(c.hits for c in cached), sum(c.misses for c in cached)
        print(f"synthesis cache: {hits} sentences said before, {misses} synthesised")
    if args.json:  # the words + silence figures of one call, and the first ramp set-up's concurrent calls
        args.json.write_text(
            json.dumps(
                {
                    "asr_rtf_p50": pct(rtf, 50),
                    "asr_rtf_p95": pct(rtf, 95),
                    "first_audio_p50_s": new[0],
                    "first_audio_p95_s": new[1],
                    "calls": len(words),
                    "by_language": {
                        lang: {"p50_s": p50, "p95_s": p95, "calls": sum(s.language == lang for s in words)}
                        for lang, (p50, p95) in by_language.items()
                    },
                    "fixed_silence_p50_s": base[0],
                    "fixed_silence_p95_s": base[1],
                    "concurrent_calls": next(iter(held_by_setup.values()), 0),
                    "concurrent_by_setup": held_by_setup,
                    "max_calls": args.max_calls,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    asyncio.run(main())
