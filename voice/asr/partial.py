"""Recognition while the caller speaks, so that little is left to decode when the turn ends.

One `PartialDecoder` per utterance, fed the turn's frames as they arrive (at the line's rate):

- Partials. Every `interval_s` of new speech the audio so far is decoded in a thread: an interim transcript
  (`interim`), the words two partials agree on (`stable`), and the language heard, which the final decode then
  reuses instead of running language detection (an extra encoder pass) when the call's language is not known.
  A call makes none by default (`CallConfig.partial_interval_s`): the short encoder window detects the language
  from the pause decode's own pass, and a partial still running when the caller stops delays the pause's decode.
- The pause. `tail_frames` of silence after speech make the audio so far exactly what the turn detector will hand
  over if the silence lasts to the end of the turn (it keeps `tail_ms` of trailing silence): that audio is decoded
  at once, during the remaining end-of-turn silence. When the `Utterance` comes and its audio is identical, that
  transcript is the final one — the same audio through the same greedy decode, so as good as a full decode, not
  an approximation of it. Any other audio (speech resumed, a cut at `max_speech_s`, a carried-over utterance) is
  decoded in full at once.

The pause, sooner. With `early_frames` (fewer than `tail_frames`) the decode starts after that much silence, if
the line is quiet by then, on the audio so far with the rest of the tail as digital silence (zeros): the very audio
the pause will hand over if the frames still to come are quiet. Each of them is checked as it comes; one louder than
`quiet_rms` (the quiet end of a last word, which the VAD calls silence, or a noisy line) gives the early decode up and
the pause decodes as without it; all quiet, the early decode is the pause's (its transcript is read only from then
on). Its decoder pass waits for that (the recogniser's `gate`; a recogniser without one gets no early decode), so a
pause the caller speaks on within `tail_frames` costs the encoder pass only. The tail's silence is kept
(Whisper reads the quiet ends of last words in it: a 100 ms pause cost WER 14.9 → 16.3%, `bench/bench_asr_window.py
--tail-ms`), only not waited for when there is nothing in it; `--early-ms` there measures what the zeros cost.
With `early_if_over_s`, the early decode is started only when a decode of that much audio has lately taken longer than
that (this process's recent decodes, by whole seconds of audio; none yet: started): a decode that is back before the
turn could end anyway (`CallConfig.early_end_ms` - `pause_ms`) gains nothing from starting sooner and would only spend
encoder passes on pauses the caller speaks on after.

Never more than one decode runs per utterance: a decode asked for while one runs waits in a single slot, where a
newer request replaces an older one. A pause's decode that the caller spoke on after is given up at its next pass
when the recogniser can (`ASR`'s `stop`; Whisper: between its encoder and its decoder), so that a stale decode
holds the recogniser — and the next pause's decode, perhaps the turn's last — for about half a decode, not a whole.
Partials are best effort: one is skipped while any decode runs in the process (another call's), so they never take
the recogniser from a turn that has ended or paused.

Stretches. With `segment_s`, a pause the caller speaks on after (a breath, an order id said in groups) is not given
up when its decode has at least `segment_s` of new speech: the decode runs to its end and its words are kept as the
utterance's head, with the audio up to the middle of that pause. Every later decode of the utterance — the next
pauses', the end's — is then of the audio after the head only, with the head's words as the recogniser's `context`
(Whisper reads them as the text before, as it reads the previous window's), and its words follow the head's. So the
decode left when the caller stops is of the last stretch, not of the whole utterance: about half the work for a
5 s question said in three stretches (a shorter encoder window, fewer tokens). Words that end in an id cut short
("order KF", "订单KF1000") are not kept as a head: an id's digits decoded apart from its letters came out worse
(`bench/bench_asr_stretches.py`). Only a recogniser whose `transcribe` takes `context` is given stretches; the head
is kept only for audio that begins with it (not a carried-over utterance's).
"""

from __future__ import annotations

import asyncio
import inspect
import re
import threading
import time
from collections.abc import Awaitable, Callable
from functools import cache
from weakref import WeakKeyDictionary

import numpy as np

from voice.protocols import ASR, Superseded, Transcript
from voice.resample import resample
from voice.text import run_on
from voice.turn_end import open_id

ASR_RATE = 16000
Spawn = Callable[[Awaitable[None]], "asyncio.Task[None]"]
_running_decodes = 0  # in this process (the event loop's thread counts them): partials wait for a free recogniser
# per recogniser, whole seconds of audio → its decode wall time lately (moving average): every call of the process
_recent_s: WeakKeyDictionary[object, dict[int, float]] = WeakKeyDictionary()
RECENT_WEIGHT = 0.3  # of the newest decode in that average


def stable_prefix(a: str, b: str, language: str) -> str:
    """The words (en) or characters (zh) at the start of both `a` and `b`, as `b` writes them."""
    if language == "zh":
        n = 0
        while n < min(len(a), len(b)) and a[n] == b[n]:
            n += 1
        return b[:n]
    wa, wb = a.split(), b.split()
    n = 0
    while n < min(len(wa), len(wb)) and wa[n].strip(",.?!").lower() == wb[n].strip(",.?!").lower():
        n += 1
    return " ".join(wb[:n])


class PartialDecoder:
    def __init__(
        self,
        asr: ASR,
        rate: int,
        *,
        language: str | None,
        spawn: Spawn,
        interval_s: float = 1.0,
        tail_frames: int = 10,
        frame_ms: int = 20,
        early_frames: int = 0,
        quiet_rms: float = 0.0,
        segment_s: float = 0.0,
        early_if_over_s: float = 0.0,
    ) -> None:
        """`early_frames`: silence after which the pause's decode starts on the audio so far, the rest of the tail
        taken as zeros, kept if every frame of that rest is quieter than `quiet_rms` (int16 RMS); 0, or a recogniser
        whose `transcribe` takes no `gate`: at the pause. `segment_s`: the least new speech a pause's decode keeps
        as the utterance's head when the caller speaks on (0: none; a recogniser without `context`: none)."""
        self.asr = asr
        self.rate = rate
        self.language = language
        self._spawn = spawn
        self._interval = int(interval_s * 1000 // frame_ms) if interval_s > 0 else 0
        self._tail = tail_frames
        # only with a recogniser that can hold its decoder pass (`gate`): one that cannot would spend a whole decode
        # (a remote one, a request) on every pause the caller speaks on after
        early = 0 < early_frames < tail_frames and quiet_rms > 0 and _takes(type(asr), "gate")
        self._early = early_frames if early else 0
        self._quiet_rms = quiet_rms
        self._early_if_over = early_if_over_s
        frame = rate * frame_ms // 1000
        stretches = segment_s > 0 and _takes(type(asr), "context")
        self._segment = int(segment_s * rate) + tail_frames * frame if stretches else 0  # new speech and its pause
        self._lead = (tail_frames // 2) * frame  # of the pause's silence before the next stretch's speech
        self._head = np.zeros(0, dtype=np.int16)  # the utterance's audio whose words are kept (`_head_text`)
        self._head_text = ""
        self._committing: tuple[np.ndarray, asyncio.Future[Transcript]] | None = None  # a pause's decode to keep
        self.stretches = 0  # heads kept
        self._provisional = False  # the pause's decode started early, on zeros for frames not yet all heard quiet
        self._frames: list[np.ndarray] = []
        self._since = 0  # voiced frames since the last partial was asked for
        self._silence = 0
        self._running: asyncio.Task[None] | None = None
        self._waiting: tuple[np.ndarray, asyncio.Future[Transcript] | None] | None = None  # (audio, the pause's)
        self._speculated: tuple[np.ndarray, asyncio.Future[Transcript]] | None = None
        self._stops: dict[asyncio.Future[Transcript], threading.Event] = {}  # a pause's decode → its `stop`
        self._gates: dict[asyncio.Future[Transcript], threading.Event] = {}  # an early one's → its decoder's `gate`
        # called (soon, on the loop) when the decode at a pause is in: the call judges the end of the turn then, not
        # at the next frame (up to a frame later)
        self.on_pause: Callable[[], None] | None = None
        self.interim = ""
        self.stable = ""
        self.heard_language: str | None = None
        self.decodes = 0  # decodes started (partials and the pause)
        self.reused = False  # the final transcript came from the decode started at the pause

    def begin(self, pcm: np.ndarray) -> None:
        """The turn's audio up to its onset (the detector's preroll and onset frames)."""
        self._frames = [np.asarray(pcm, dtype=np.int16)]

    def push(self, frame: np.ndarray, voiced: bool) -> None:
        self._frames.append(np.asarray(frame, dtype=np.int16))
        if voiced:
            self._silence = 0
            self._since += 1
            if self._speculated is not None and not self._keep_speculated():
                self._drop_speculated()  # speech resumed: what the pause decodes is not the utterance
            if self._interval and self._since >= self._interval:
                self._since = 0
                if _running_decodes == 0:
                    self._ask(self._audio(), None)
            return
        self._silence += 1
        if self._silence == self._early and _rms(frame) < self._quiet_rms and self._worth_early():
            # (a line not quiet yet, or decodes fast enough to be back before the turn may end: at the pause)
            zeros = np.zeros(len(frame) * (self._tail - self._early), dtype=np.int16)
            self._speculate(np.concatenate([self._audio(), zeros]), gated=True)
            self._provisional = True
        elif self._provisional and _rms(frame) >= self._quiet_rms:
            self._drop_speculated()  # not silence after all: the pause decodes what it hears
        if self._silence == self._tail:
            if self._provisional and self._speculated is not None:
                # every frame the early decode took as zeros was quiet: it is the pause's, keyed by the real audio
                self._speculated = (self._audio(), self._speculated[1])
                self._provisional = False
                gate = self._gates.pop(self._speculated[1], None)
                if gate is not None:
                    gate.set()  # its decoder may run
            else:
                self._speculate(self._audio())

    @property
    def pause_transcript(self) -> Transcript | None:
        """The transcript of the decode at this pause once it is done (None while it runs, after it failed, or
        once speech resumed): what the call judges the end of the turn by."""
        if self._speculated is None or self._provisional:
            return None
        future = self._speculated[1]
        if not future.done() or future.cancelled() or future.exception() is not None:
            return None
        return future.result()

    @property
    def pause_pending(self) -> bool:
        """The decode at this pause is asked for or running."""
        return self._speculated is not None and not self._speculated[1].done()

    async def final(self, pcm: np.ndarray) -> Transcript:
        """The utterance's transcript: the pause's decode when `pcm` is the audio it decoded, else a full decode."""
        speculated, self._speculated = self._speculated, None
        provisional, self._provisional = self._provisional, False
        if speculated is not None and not provisional and np.array_equal(speculated[0], pcm):
            transcript = await asyncio.shield(speculated[1])
            self.reused = True
            return transcript
        if speculated is not None:
            self._give_up(speculated[1])  # of other audio: stopped at its next pass, not waited for whole
        waiting, self._waiting = self._waiting, None  # nothing else is wanted now: the final decode goes next,
        if waiting is not None and self._committing is not None and waiting[1] is self._committing[1]:
            self._waiting = waiting  # after a head it reads (the running decode's loop takes it first)
        running = self._running
        if running is not None and not running.done():
            await asyncio.wait([running])
        self.decodes += 1
        return await self._counted(pcm)

    def close(self) -> None:
        self._waiting = None
        if self._committing is not None:
            self._give_up(self._committing[1])
            self._committing = None
        if self._speculated is not None:
            self._give_up(self._speculated[1])
        self._speculated = None
        self._provisional = False

    def _worth_early(self) -> bool:
        """A decode of the audio so far is expected to take longer than `early_if_over_s` (by this process's recent
        decodes of as much audio; none yet: yes)."""
        if self._early_if_over <= 0:
            return True
        audio = self._audio()
        after_head = len(self._head) if 0 < len(self._head) < len(audio) else 0  # (what the decode would be of)
        lately = _recent_of(self.asr).get(_bucket((len(audio) - after_head) / self.rate))
        return lately is None or lately > self._early_if_over

    def _speculate(self, audio: np.ndarray, *, gated: bool = False) -> None:
        """Decode `audio` as what the pause will hand over (`final` reuses it when it is). `gated`: its decoder pass
        waits until the frames it took as zeros are all heard quiet (the recogniser's `gate`), so that a pause the
        caller speaks on after costs an encoder pass, as a decode at the pause does, not a whole decode."""
        future: asyncio.Future[Transcript] = asyncio.get_running_loop().create_future()
        if gated:
            self._gates[future] = TimedGate()
        self._speculated = (audio, future)
        self._ask(audio, future)

    def _keep_speculated(self) -> bool:
        """Speech resumed after this pause: its decode is kept as the utterance's head (when it will be done, if it is
        not yet) when it heard at least `segment_s` of new speech. False: it is not (given up as before)."""
        if not self._segment or self._provisional or self._committing is not None or self._speculated is None:
            return False
        audio, future = self._speculated
        if len(audio) - len(self._head) < self._segment:
            return False
        self._speculated = None
        if future.done():
            if not future.cancelled() and future.exception() is None:
                self._keep(audio, future.result())
            return True
        self._committing = (audio, future)
        return True

    def _keep(self, audio: np.ndarray, transcript: Transcript) -> None:
        """The words of `audio` (and the audio up to the middle of the pause after them) are the utterance's head."""
        text = _OPEN_END.sub("", transcript.text.strip())  # a pause, not the end of a sentence
        if not text or open_id(text):
            # nothing heard in it: its audio stays in the next stretch; or an id cut short ("订单KF1000", "order KF"):
            # its digits are decoded with its letters (Whisper writes an id's groups apart worse: "KF10000以90")
            return
        self._head, self._head_text = audio[: len(audio) - self._lead], text
        self.stretches += 1

    def _drop_speculated(self) -> None:
        """The pause's decode is of audio the turn will not hand over: given up, queued or running."""
        if self._speculated is None:
            return
        if self._waiting is not None and self._waiting[1] is not None:
            self._waiting = None
        self._give_up(self._speculated[1])
        self._speculated = None
        self._provisional = False

    def _give_up(self, target: asyncio.Future[Transcript]) -> None:
        """Nobody will read this pause's decode: stopped at its next pass (when it runs) and its future cancelled."""
        stop, gate = self._stops.pop(target, None), self._gates.pop(target, None)
        if stop is not None:
            stop.set()
        if gate is not None:
            gate.set()  # (after `stop`: a decoder waiting at it wakes up to give up)
        if not target.done():
            target.cancel()

    # ---------------------------------------------------------------- helpers

    def _audio(self) -> np.ndarray:
        self._frames = [np.concatenate(self._frames)] if len(self._frames) > 1 else self._frames
        return self._frames[0]

    def _ask(self, audio: np.ndarray, target: asyncio.Future[Transcript] | None) -> None:
        """Decode `audio` now, or after the running decode; `target` gets the pause's transcript."""
        if self._running is not None and not self._running.done():
            if target is not None or self._waiting is None or self._waiting[1] is None:
                replaced = self._waiting[1] if self._waiting is not None else None
                if self._committing is not None and replaced is self._committing[1]:
                    self._committing[1].cancel()  # a head not decoded yet, replaced: the next decode is of more
                    self._committing = None
                self._waiting = (audio, target)  # a newer request replaces the older; a partial never the pause's
            return
        self._running = self._spawn(self._run(audio, target))

    async def _run(self, audio: np.ndarray, target: asyncio.Future[Transcript] | None) -> None:
        while True:
            transcript: Transcript | None = None
            if target is None or not target.cancelled():  # (speech resumed before this decode began: not at all)
                stop = self._stops.setdefault(target, threading.Event()) if target is not None else None
                gate = self._gates.get(target) if target is not None else None
                self.decodes += 1
                try:
                    transcript = await self._counted(audio, stop, gate)
                except Superseded:
                    pass  # speech resumed: nobody reads it (its future is cancelled already)
                except Exception as exc:
                    if target is not None and not target.done():
                        target.set_exception(exc)
                    raise
                finally:
                    if target is not None:
                        self._stops.pop(target, None)
                        self._gates.pop(target, None)
            committing = self._committing if self._committing is not None and self._committing[1] is target else None
            if committing is not None:
                self._committing = None
            if transcript is not None:
                if target is not None and not target.done():
                    target.set_result(transcript)
                    if self.on_pause is not None and self._speculated is not None and self._speculated[1] is target:
                        asyncio.get_running_loop().call_soon(self.on_pause)
                if committing is not None and committing[1] is target:
                    self._keep(committing[0], transcript)  # before the next decode starts: it reads the head
                self._note(transcript)
            waiting, self._waiting = self._waiting, None
            if waiting is None:
                return
            audio, target = waiting

    async def _counted(
        self, pcm: np.ndarray, stop: threading.Event | None = None, gate: threading.Event | None = None
    ) -> Transcript:
        global _running_decodes
        _running_decodes += 1
        try:
            return await asyncio.to_thread(self._decode, pcm, stop, gate)
        finally:
            _running_decodes -= 1

    def _decode(
        self, pcm: np.ndarray, stop: threading.Event | None = None, gate: threading.Event | None = None
    ) -> Transcript:
        started = time.perf_counter()
        head, context = self._head, self._head_text  # (set on the loop between decodes, never during one)
        after_head = 0 < len(head) < len(pcm) and np.array_equal(pcm[: len(head)], head)
        stretch = pcm[len(head) :] if after_head else pcm
        audio16 = resample(stretch, self.rate, ASR_RATE)
        language = self.language or self.heard_language
        kwargs: dict[str, object] = {"context": context} if stretch is not pcm else {}
        if stop is not None and gate is not None and _takes(type(self.asr), "gate"):
            kwargs |= {"stop": stop, "gate": gate}
        elif stop is not None and _takes(type(self.asr), "stop"):
            kwargs["stop"] = stop
        transcript = self.asr.transcribe(audio16, language, **kwargs)  # type: ignore[call-arg]
        text = run_on([context, transcript.text], transcript.language) if stretch is not pcm else transcript.text
        took = time.perf_counter() - started
        _note_decode(self.asr, len(stretch) / self.rate, took - (gate.waited if isinstance(gate, TimedGate) else 0.0))
        return Transcript(text, transcript.language, len(pcm) / self.rate, took)

    def _note(self, transcript: Transcript) -> None:
        if self.language is None:
            self.heard_language = transcript.language
        self.stable = stable_prefix(self.interim, transcript.text, transcript.language) if self.interim else ""
        self.interim = transcript.text


_OPEN_END = re.compile(r"[\s.。?？!！,，、;；:：…]+$")


class TimedGate(threading.Event):
    """A decoder's `gate` that keeps how long it was waited at: a decode's own time is its time less that."""

    def __init__(self) -> None:
        super().__init__()
        self.waited = 0.0

    def wait(self, timeout: float | None = None) -> bool:
        started = time.perf_counter()
        try:
            return super().wait(timeout)
        finally:
            self.waited += time.perf_counter() - started


def _bucket(seconds: float) -> int:
    return int(seconds) + 1


def _recent_of(asr: object) -> dict[int, float]:
    """`asr`'s recent decode times; a fresh dict, never kept, for a recogniser that cannot be a weak key (slots, or
    unhashable): its early decodes then always start, as with `early_if_over_s` 0."""
    try:
        return _recent_s.setdefault(asr, {})
    except TypeError:
        return {}


def _note_decode(asr: object, seconds: float, took: float) -> None:
    """`asr` decoded `seconds` of audio in `took` (wall time, with whatever else ran, less a gate's wait): the recent
    average for its length. A decode given up midway (`Superseded`) is not noted: it raised before this."""
    key = _bucket(seconds)
    recent = _recent_of(asr)
    lately = recent.get(key)
    recent[key] = took if lately is None else lately + RECENT_WEIGHT * (took - lately)


def _rms(frame: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(frame, dtype=np.float64)))) if len(frame) else 0.0


@cache
def _takes(kind: type, keyword: str) -> bool:
    """The recogniser's `transcribe` takes `keyword` (`stop`: it can give a stale decode up midway; `gate`: its
    decoder can wait), or passes keywords on (a wrapper's `**kwargs`)."""
    try:
        parameters = inspect.signature(kind.transcribe).parameters  # type: ignore[attr-defined]
    except (AttributeError, TypeError, ValueError):
        return False
    return keyword in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
