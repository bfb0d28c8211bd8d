"""Decoding while the caller speaks (`voice.asr.partial`), with a recogniser that writes down what it got: partials
come about once a second of speech and never two at a time; the decode started at the pause is the final
transcript when the turn ends there, and a full decode happens at once when the caller spoke on; through the call
loop the transcript is the one a decode at the end of the turn gives, with no decode left to wait for."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest

from tests.fakes import make_agent
from tests.fakes.voice import EnergyVAD, ToneTTS, silence, tone
from tests.voice.test_call import Line, feed, until
from voice.asr.partial import PartialDecoder, stable_prefix
from voice.call import Call, CallConfig
from voice.frames import CallStarted
from voice.protocols import Superseded, Transcript

pytestmark = pytest.mark.unit

FRAME = 160  # 20 ms at 8 kHz
EARLY_MS = 100  # the early pause decode on (`CallConfig.early_ms`)


class CountingASR:
    """'heard N ms' for N ms of audio, after `delay_s`; records every call and the most decodes at once."""

    def __init__(self, delay_s: float = 0.05, language: str = "en") -> None:
        self.delay_s = delay_s
        self.language = language
        self.calls: list[float] = []
        self.busy = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def transcribe(self, audio: np.ndarray, language: str | None) -> Transcript:
        with self._lock:
            self.busy += 1
            self.most_at_once = max(self.most_at_once, self.busy)
            self.calls.append(len(audio) / 16000)
        time.sleep(self.delay_s)
        with self._lock:
            self.busy -= 1
        return Transcript(f"heard {round(len(audio) / 16)} ms", language or self.language, len(audio) / 16000)


def frames(audio: np.ndarray) -> list[np.ndarray]:
    return [audio[i:i + FRAME] for i in range(0, len(audio), FRAME)]


async def speak(decoder: PartialDecoder, speech_ms: int, pause_ms: int, *, pace_s: float = 0.0) -> np.ndarray:
    """Voiced frames then silent ones into `decoder`; returns everything fed."""
    fed = []
    for voiced, chunk in [(True, f) for f in frames(tone(speech_ms))] + [(False, f) for f in frames(silence(pause_ms))]:
        decoder.push(chunk, voiced)
        fed.append(chunk)
        await asyncio.sleep(pace_s)
    return np.concatenate(fed)


def tasks() -> tuple[list[asyncio.Task[None]], object]:
    spawned: list[asyncio.Task[None]] = []

    def spawn(coro):  # type: ignore[no-untyped-def]
        task = asyncio.ensure_future(coro)
        spawned.append(task)
        return task

    return spawned, spawn


async def test_partials_about_once_a_second_never_two_at_once_and_the_pause_decode_is_final() -> None:
    asr = CountingASR(delay_s=0.3)
    spawned, spawn = tasks()
    decoder = PartialDecoder(asr, 8000, language="en", spawn=spawn, interval_s=1.0, tail_frames=10)
    decoder.begin(np.zeros(0, dtype=np.int16))
    fed = await speak(decoder, 3000, 200, pace_s=0.02)  # real-time pace: 3 s of speech, the pause's 200 ms
    assert decoder.interim.startswith("heard")  # interim transcripts while the caller speaks
    final = await decoder.final(fed)  # the turn ends with exactly the audio decoded at the pause
    await asyncio.gather(*spawned)
    assert final.text == f"heard {len(fed) // 8} ms" and decoder.reused
    assert asr.most_at_once == 1
    assert 3 <= len(asr.calls) <= 4 and asr.calls[-1] == pytest.approx(3.2)  # partials at 1, 2, (3) s; the pause


async def test_speech_after_the_pause_gets_a_full_decode_of_the_whole_turn() -> None:
    asr = CountingASR(delay_s=0.01)
    spawned, spawn = tasks()
    decoder = PartialDecoder(asr, 8000, language="en", spawn=spawn, interval_s=0, tail_frames=10)
    decoder.begin(tone(100))
    first = await speak(decoder, 500, 300)
    await asyncio.sleep(0.05)
    second = await speak(decoder, 400, 100)  # the caller went on after a decode at the first pause (turn cut)
    whole = np.concatenate([tone(100), first, second])
    final = await decoder.final(whole)
    await asyncio.gather(*spawned)
    assert final.text == f"heard {len(whole) // 8} ms" and not decoder.reused
    assert asr.most_at_once == 1


async def test_a_final_decode_waits_for_the_running_partial_not_beside_it() -> None:
    asr = CountingASR(delay_s=0.2)
    spawned, spawn = tasks()
    decoder = PartialDecoder(asr, 8000, language="en", spawn=spawn, interval_s=1.0, tail_frames=10)
    decoder.begin(np.zeros(0, dtype=np.int16))
    fed = await speak(decoder, 1000, 0)  # a partial starts at 1 s of speech
    cut = np.concatenate([fed, silence(100)])  # (a turn cut short: not the pause's audio)
    final = await decoder.final(cut)
    await asyncio.gather(*spawned)
    assert final.text == f"heard {len(cut) // 8} ms" and asr.most_at_once == 1 and len(asr.calls) == 2


class StoppableASR(CountingASR):
    """`CountingASR` in two passes (as Whisper's encoder, then decoder) that gives a decode up between them once its
    `stop` is set; counts the decodes given up."""

    def __init__(self, delay_s: float) -> None:
        super().__init__(delay_s)
        self.given_up = 0

    def transcribe(self, audio: np.ndarray, language: str | None, *, stop: threading.Event | None = None) -> Transcript:
        with self._lock:
            self.calls.append(len(audio) / 16000)
        time.sleep(self.delay_s / 2)  # the first pass
        if stop is not None and stop.is_set():
            self.given_up += 1
            raise Superseded
        time.sleep(self.delay_s / 2)
        return Transcript(f"heard {round(len(audio) / 16)} ms", language or self.language, len(audio) / 16000)


async def test_a_pause_decode_the_caller_spoke_on_after_is_given_up_midway_and_the_turn_still_decoded() -> None:
    asr = StoppableASR(delay_s=0.4)
    spawned, spawn = tasks()
    decoder = PartialDecoder(asr, 8000, language="en", spawn=spawn, interval_s=0, tail_frames=10)
    decoder.begin(np.zeros(0, dtype=np.int16))
    first = await speak(decoder, 600, 200)  # the pause's decode starts
    await asyncio.sleep(0.05)
    second = await speak(decoder, 400, 200)  # the caller goes on within its first pass; a second pause
    started = time.perf_counter()
    final = await decoder.final(np.concatenate([first, second]))
    waited = time.perf_counter() - started
    await asyncio.gather(*spawned)
    assert asr.given_up == 1 and len(asr.calls) == 2  # the stale decode stopped after its first pass
    assert final.text == f"heard {(len(first) + len(second)) // 8} ms" and decoder.reused
    # the second pause's decode waited for the stale one's first pass only (~0.15 s left of it, then its own 0.4 s),
    # not for the whole of it (~0.35 s left, 0.75 s in all)
    assert waited < 0.7


async def test_closing_gives_up_the_running_pause_decode() -> None:
    asr = StoppableASR(delay_s=0.2)
    spawned, spawn = tasks()
    decoder = PartialDecoder(asr, 8000, language="en", spawn=spawn, interval_s=0, tail_frames=10)
    decoder.begin(np.zeros(0, dtype=np.int16))
    await speak(decoder, 500, 200)
    decoder.close()
    await asyncio.gather(*spawned)
    assert asr.given_up == 1 and decoder.pause_transcript is None


def test_whisper_gives_a_stopped_decode_up_before_any_pass() -> None:
    from voice.asr import WhisperASR

    stop = threading.Event()
    stop.set()
    with pytest.raises(Superseded):  # before loading or encoding anything (no model at this path)
        WhisperASR("/nonexistent").transcribe(np.zeros(16000, dtype=np.float32), "en", stop=stop)


def test_stable_prefix_is_what_two_partials_agree_on() -> None:
    assert stable_prefix("where is my", "Where is my order KF1", "en") == "Where is my"
    assert stable_prefix("where is the", "where is my order", "en") == "where is"
    assert stable_prefix("我的订单", "我的订单KF1到哪了", "zh") == "我的订单"


async def one_turn(asr: object, config: CallConfig, *, speech_ms: int) -> Call:
    """A call with `config` through one turn: 200 ms of line silence, `speech_ms` of speech (a tone), 700 ms of
    silence; left once the turn is taken (the caller hangs it up)."""
    agent = make_agent()
    await agent.start("c", channel="voice", customer_id="C1", language="en")
    call = Call(agent=agent, conversation_id="c", asr=asr, tts=ToneTTS(), vad=EnergyVAD(), send=Line().send,
                config=config)
    await call.on_frame(CallStarted("CA1", "MZ1", 8000, {}))
    await feed(call, np.concatenate([silence(200), tone(speech_ms), silence(700)]))
    await until(call, lambda: bool(call.turns))
    return call


async def call_transcript(decode_while_speaking: bool) -> tuple[str, bool, int]:
    asr = CountingASR(delay_s=0.05)
    call = await one_turn(asr, CallConfig(language="en", greet=False, silence_s=0, partial_interval_s=1.0,
                                          decode_while_speaking=decode_while_speaking), speech_ms=1500)
    n_end = len(asr.calls)
    await call.hang_up()
    return call.turns[0].transcript, call.turns[0].decoded_early, n_end


async def test_through_the_call_the_transcript_is_a_full_decodes_and_was_ready_early() -> None:
    baseline, early_off, _ = await call_transcript(False)
    streamed, early, decodes = await call_transcript(True)
    assert streamed == baseline and not early_off
    assert early and decodes == 2  # one partial at 1 s of speech, one at the pause; none after the turn ended


async def test_by_default_the_pause_alone_is_decoded_soon_after_the_caller_stops() -> None:
    """No partial can hold the pause's decode back (one recogniser): the turn's one decode starts `pause_ms` into
    the silence, and its audio is the turn's, so it is the transcript."""
    asr = CountingASR(delay_s=0.05)
    config = CallConfig(language="en", greet=False, silence_s=0)
    call = await one_turn(asr, config, speech_ms=2500)
    await call.hang_up()
    assert len(asr.calls) == 1 and call.turns[0].decoded_early
    # the audio decoded: the preroll, 2.5 s of speech and `pause_ms` of the silence after it
    assert asr.calls[0] == pytest.approx(2.5 + config.pause_ms / 1000 + 0.2, abs=0.11)


class RecordingASR(StoppableASR):
    """`StoppableASR` that keeps the audio of every decode it was asked for."""

    def __init__(self, delay_s: float) -> None:
        super().__init__(delay_s)
        self.audio: list[np.ndarray] = []

    def transcribe(self, audio: np.ndarray, language: str | None, *, stop: threading.Event | None = None) -> Transcript:
        self.audio.append(np.asarray(audio))
        return super().transcribe(audio, language, stop=stop)


class GatedASR(RecordingASR):
    """`RecordingASR` whose second pass waits for its `gate` (as Whisper's decoder after its encoder)."""

    def __init__(self, delay_s: float) -> None:
        super().__init__(delay_s)
        self.passed_gate = 0

    def transcribe(self, audio: np.ndarray, language: str | None, *, stop: threading.Event | None = None,
                   gate: threading.Event | None = None) -> Transcript:
        self.audio.append(np.asarray(audio))
        with self._lock:
            self.calls.append(len(audio) / 16000)
        time.sleep(self.delay_s / 2)
        if gate is not None:
            gate.wait(5)
        if stop is not None and stop.is_set():
            self.given_up += 1
            raise Superseded
        self.passed_gate += 1
        time.sleep(self.delay_s / 2)
        return Transcript(f"heard {round(len(audio) / 16)} ms", language or self.language, len(audio) / 16000)


def early_decoder(asr: GatedASR) -> tuple[PartialDecoder, list[asyncio.Task[None]]]:
    spawned, spawn = tasks()
    decoder = PartialDecoder(asr, 8000, language="en", spawn=spawn, interval_s=0, tail_frames=10, early_frames=5,
                             quiet_rms=40.0)
    decoder.begin(np.zeros(0, dtype=np.int16))
    return decoder, spawned


async def test_a_quiet_pause_is_decoded_from_its_first_100_ms_and_that_decode_is_the_turns() -> None:
    asr = GatedASR(delay_s=0.05)
    decoder, spawned = early_decoder(asr)
    first = await speak(decoder, 600, 100)
    await asyncio.sleep(0.01)
    assert len(asr.calls) == 1  # started before the pause's 200 ms have all been heard
    assert decoder.pause_transcript is None  # and not read (the end of the turn judged by it) until they are
    rest = await speak(decoder, 0, 100)  # the rest of the pause: digital silence, as the decode took it
    await asyncio.sleep(0.1)
    assert decoder.pause_transcript is not None
    fed = np.concatenate([first, rest])
    final = await decoder.final(fed)
    await asyncio.gather(*spawned)
    assert decoder.reused and len(asr.calls) == 1 and asr.given_up == 0
    assert final.text == f"heard {len(fed) // 8} ms"  # the whole turn's length: the zeros stood for the silence
    assert not asr.audio[0][-1600:].any()  # (its last 100 ms at 16 kHz were zeros)


async def test_a_sound_after_the_first_100_ms_of_a_pause_gives_the_early_decode_up_and_the_pause_decodes_it() -> None:
    asr = GatedASR(delay_s=0.2)
    decoder, spawned = early_decoder(asr)
    first = await speak(decoder, 600, 100)
    faint = tone(100, level=200.0)  # too faint for the VAD (a last word's quiet end), not silence
    for chunk in frames(faint):
        decoder.push(chunk, False)
    fed = np.concatenate([first, faint])
    final = await decoder.final(fed)
    await asyncio.gather(*spawned)
    assert asr.given_up == 1 and len(asr.calls) == 2  # the early decode stopped; the pause's audio decoded
    assert decoder.reused and final.text == f"heard {len(fed) // 8} ms"
    assert np.abs(asr.audio[-1][-1600:]).max() > 0.005  # the faint sound (200 of 32768) is in what was decoded


async def test_through_the_call_a_quiet_pause_is_decoded_once_from_its_early_start() -> None:
    asr = GatedASR(delay_s=0.05)
    config = CallConfig(language="en", greet=False, silence_s=0, early_ms=EARLY_MS)
    call = await one_turn(asr, config, speech_ms=1500)
    await call.hang_up()
    assert len(asr.calls) == 1 and asr.given_up == 0 and call.turns[0].decoded_early
    assert asr.calls[0] == pytest.approx(1.5 + config.pause_ms / 1000 + 0.2, abs=0.11)


async def test_speech_resuming_within_the_pause_stops_the_early_decode_before_its_second_pass() -> None:
    asr = GatedASR(delay_s=0.1)
    decoder, spawned = early_decoder(asr)
    first = await speak(decoder, 600, 100)  # the early decode starts
    await asyncio.sleep(0.15)  # its first pass is done: it waits for the rest of the pause
    assert asr.passed_gate == 0
    second = await speak(decoder, 400, 200)  # the caller goes on (a 100 ms gap between words), then pauses
    final = await decoder.final(np.concatenate([first, second]))
    await asyncio.gather(*spawned)
    assert asr.given_up == 1 and asr.passed_gate == 1  # the stale one spent its first pass only
    assert decoder.reused and final.text == f"heard {(len(first) + len(second)) // 8} ms"


async def test_a_quiet_pause_lets_the_early_decode_through_its_gate() -> None:
    asr = GatedASR(delay_s=0.1)
    decoder, spawned = early_decoder(asr)
    fed = await speak(decoder, 600, 200)
    final = await decoder.final(fed)
    await asyncio.gather(*spawned)
    assert asr.given_up == 0 and len(asr.calls) == 1 and decoder.reused
    assert final.text == f"heard {len(fed) // 8} ms"


async def utterance_with_early_if_slow(asr: GatedASR) -> tuple[int, float]:
    """One utterance (1 s of speech, a 200 ms pause) through a decoder that starts its early decode only when this
    recogniser's recent decodes of as much audio took over 100 ms: (decodes begun at 100 ms of silence, final's
    decode time)."""
    spawned, spawn = tasks()
    decoder = PartialDecoder(asr, 8000, language="en", spawn=spawn, interval_s=0, tail_frames=10, early_frames=5,
                             quiet_rms=40.0, early_if_over_s=0.1)
    decoder.begin(np.zeros(0, dtype=np.int16))
    before = len(asr.calls)
    first = await speak(decoder, 1000, 100)
    await asyncio.sleep(0.01)
    early = len(asr.calls) - before
    rest = await speak(decoder, 0, 100)
    final = await decoder.final(np.concatenate([first, rest]))
    await asyncio.gather(*spawned)
    assert decoder.reused
    return early, final.decode_s


async def test_the_early_decode_starts_only_when_recent_decodes_would_not_be_back_before_the_turn_may_end() -> None:
    fast = GatedASR(delay_s=0.02)  # back long before the turn may end: starting 100 ms sooner gains nothing
    assert (await utterance_with_early_if_slow(fast))[0] == 1  # nothing known of it yet: early
    assert (await utterance_with_early_if_slow(fast))[0] == 0  # known fast: at the pause, no pass spent early
    slow = GatedASR(delay_s=0.3)  # what the turn would wait for: started early
    assert [(await utterance_with_early_if_slow(slow))[0] for _ in range(2)] == [1, 1]


async def test_a_decodes_time_at_its_gate_is_not_counted_as_its_own() -> None:
    asr = GatedASR(delay_s=0.02)
    spawned, spawn = tasks()
    decoder = PartialDecoder(asr, 8000, language="en", spawn=spawn, interval_s=0, tail_frames=10, early_frames=5,
                             quiet_rms=40.0, early_if_over_s=0.1)
    decoder.begin(np.zeros(0, dtype=np.int16))
    first = await speak(decoder, 1000, 100)
    await asyncio.sleep(0.25)  # the early decode waits at its gate for the rest of the pause (a slow line)
    rest = await speak(decoder, 0, 100)
    final = await decoder.final(np.concatenate([first, rest]))
    await asyncio.gather(*spawned)
    assert final.decode_s > 0.25  # the wall time, wait included
    # …but its own time is what decides the next one: fast, so the next pause is decoded at the pause
    assert (await utterance_with_early_if_slow(asr))[0] == 0


async def test_a_recogniser_that_cannot_hold_its_decoder_decodes_at_the_pause_only() -> None:
    asr = StoppableASR(delay_s=0.05)  # takes `stop`, not `gate`: an early decode would run whole on a stale pause
    spawned, spawn = tasks()
    decoder = PartialDecoder(asr, 8000, language="en", spawn=spawn, interval_s=0, tail_frames=10, early_frames=5,
                             quiet_rms=40.0)
    decoder.begin(np.zeros(0, dtype=np.int16))
    await speak(decoder, 600, 180)
    await asyncio.sleep(0.02)
    assert asr.calls == []
    await asyncio.gather(*spawned)


async def test_a_line_still_not_quiet_100_ms_into_the_pause_is_decoded_at_the_pause_only() -> None:
    asr = GatedASR(delay_s=0.05)
    decoder, spawned = early_decoder(asr)
    first = await speak(decoder, 600, 0)
    hiss = tone(200, level=200.0)  # below the VAD, above `quiet_rms`: an early decode would only be given up
    for chunk in frames(hiss)[:5]:
        decoder.push(chunk, False)
    await asyncio.sleep(0.02)
    assert asr.calls == []
    for chunk in frames(hiss)[5:]:
        decoder.push(chunk, False)
    final = await decoder.final(np.concatenate([first, hiss]))
    await asyncio.gather(*spawned)
    assert len(asr.calls) == 1 and asr.given_up == 0 and decoder.reused
    assert final.text == f"heard {(len(first) + len(hiss)) // 8} ms"


class SlotsASR:
    """A recogniser that cannot be a weak key (`__slots__`, no `__weakref__`) and is unhashable (a deployer's own)."""

    __slots__ = ("inner",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self) -> None:
        self.inner = GatedASR(delay_s=0.02)

    def __eq__(self, other: object) -> bool:
        return self is other

    @property
    def calls(self) -> list[float]:
        return self.inner.calls

    def transcribe(self, audio: np.ndarray, language: str | None, **kwargs: object) -> Transcript:
        return self.inner.transcribe(audio, language, **kwargs)  # type: ignore[arg-type]


async def test_a_recogniser_that_cannot_keep_its_decode_times_still_decodes_and_starts_early() -> None:
    asr = SlotsASR()
    for _ in range(2):  # nothing kept of it: its early decode starts every time, and nothing fails
        assert (await utterance_with_early_if_slow(asr))[0] == 1  # type: ignore[arg-type]
