"""One phone call: listen → a `TurnInput` to the agent → speak the reply sentence by sentence, with barge-in.

The loop reads `voice.frames` from the serializer (any provider) and writes frames back through `send`:

- Listening. The caller's audio is cut into 20 ms frames for the VAD; `TurnDetector` says when speech starts
  (`Onset`) and when a turn ends (`Utterance`, after a silence). How long that silence is depends on the words too:
  the decode at the pause (`voice.asr.partial`) is read by the end-of-utterance model (`voice.turn_end`); words that
  sound finished end the turn after `early_end_ms`, words cut off mid-sentence after `late_end_ms`, others — and
  a pause whose decode has not come back yet — after `end_silence_ms`. The
  utterance goes to the recogniser at 16 kHz in a thread, its transcript (spoken ids joined, `voice.text.written`,
  and a nearly-right id snapped to the caller's own order it is nearest to, `snap_ids`: Whisper drops digits of long
  zero runs) to the agent.
- Speaking. Sentences of the reply — streamed from the turn's token sink when an LLM words it, else the
  recorded reply — are synthesised one by one in a thread and sent with a `mark` after each; the provider
  echoes a mark once the audio before it has been played, so the call knows what the caller actually heard.
- Barge-in. Speech onset while the bot is replying (or still thinking) sends `clear` at once, cancels the turn
  (the agent records `BotInterrupted` with what was heard, i.e. the sentences whose marks came back, and drops
  the rest) and takes the new utterance as the next turn.
- DTMF 0 queues the call for a person (`HandoffRequested`) and says so; an operator's text messages are spoken
  to the caller (`operator_said`), and while a person has the call silence is waiting, not absence (`hold`).
- Silence. Nobody speaking for `silence_s`: the caller is asked whether they are still there; a second such
  silence: a goodbye, and the call ends once it has played.
- A hang-up cancels whatever runs and records what was heard of an unfinished reply.

Customer-facing lines (greeting, handoff) come in `Phrases` from the server, which owns the templates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass, field

import numpy as np

from agent.errors import InvalidMessage
from agent.events import BotInterrupted, BotUttered, Event, HandoffRequested
from agent.turns import SpeechCues, TurnInput
from voice.asr.partial import PartialDecoder
from voice.emotion.cues import hear
from voice.frames import (
    AudioIn,
    AudioOut,
    CallEnded,
    CallStarted,
    ClearOut,
    DtmfIn,
    InFrame,
    MarkOut,
    MarkPlayed,
    OutFrame,
)
from voice.protocols import ASR, TTS, VAD, Conversations, SpeechEmotion
from voice.resample import resample
from voice.text import SentenceBuffer, lead_clause, sentences, snap_ids, speakable, written
from voice.turn_end import TurnEndModel, bundled
from voice.vad import Onset, TurnDetector, Utterance

log = logging.getLogger(__name__)

ASR_RATE = 16000
HANDOFF_DIGIT = "0"
Send = Callable[[OutFrame], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Phrases:
    """What the call says by itself, per language (zh, en): from the server's templates."""

    greeting: dict[str, str] = field(default_factory=dict)
    handoff: dict[str, str] = field(default_factory=dict)
    still_there: dict[str, str] = field(default_factory=dict)  # after a first long silence
    goodbye: dict[str, str] = field(default_factory=dict)  # after a second one: the call ends


@dataclass(frozen=True, slots=True)
class CallConfig:
    language: str | None = None  # zh | en when the provider says; None: the recogniser decides per utterance
    default_language: str = "zh"  # of the greeting when the language is not known yet
    frame_ms: int = 20
    onset_ms: int = 100  # speech this long starts a turn (and interrupts the bot)
    end_silence_ms: int = 600  # silence this long ends the caller's turn
    max_speech_s: float = 20.0
    greet: bool = True
    silence_s: float = 10.0  # the caller silent this long (the bot quiet too): prompted; twice: goodbye (0: never)
    decode_while_speaking: bool = True  # partial decodes and the decode at the pause (`voice.asr.partial`)
    # A partial decode per this much new speech (0: only the decode at the pause, the default). The final transcript
    # is the pause's decode, never a partial's, and a partial still running when the caller stops holds the pause's
    # decode back by up to a whole decode (one recogniser; CTranslate2 cannot stop one midway): partials only cost
    # latency and CPU unless something reads `Call.interim`. Language detection reads the pause decode's own
    # encoder pass, so they are not needed for that either.
    partial_interval_s: float = 0.0
    # Silence after which the words so far are decoded (the pause), and the trailing silence an utterance keeps, so
    # that the decode at the pause is of exactly the turn's audio. 120 ms was tried (the decode 80 ms sooner): no
    # gain the bench could see on a loaded machine, and Whisper heard one question's id worse with less silence
    # after it ("KF? 1,000002." for KF10000002). 100 ms, measured on 97 clips cut as the call cuts them
    # (`bench/bench_asr_window.py --tail-ms`): WER 14.9% → 16.3%, the quiet ends of last words lost (the VAD calls
    # them silence; TESS's single words 8.8% → 15.0%).
    pause_ms: int = 200
    # The pause's decode started sooner (`voice.asr.partial`): after `early_ms` of silence, on the audio so far with
    # the rest of the `pause_ms` as zeros, and kept when every frame of that rest is quieter than `quiet_rms` (int16
    # RMS; the VAD's floor is 150): the same audio to Whisper, `pause_ms - early_ms` sooner. A louder frame (a last
    # word's quiet end, line noise) gives it up and the pause decodes as before. 0: at `pause_ms`. It gains only when
    # the decode would not be back before the turn may end (`early_end_ms`), so with `early_when_slow` it starts
    # only when this process's recent decodes of as much audio took longer than `early_end_ms - pause_ms`: on a box
    # that decodes a 6 s question in ~80 ms it bought ~12 ms and cost CPU (+15-35% a call, an encoder pass spent on
    # each pause the caller speaks on after); where that decode takes ~180-250 ms (a slower or busier box) it is
    # what the turn waits for, and starting it 100 ms sooner bought p50 655 → 532 ms at +6% CPU a call
    # (`bench/bench_voice_calls.py --ab early_ms=100 --ab-rounds 4`, interleaved, 16 calls a side, load ~2.5).
    early_ms: int = 100
    early_when_slow: bool = True
    quiet_rms: float = 40.0
    # A pause the caller speaks on after, its decode holding at least this much new speech, keeps that decode's words
    # as the utterance's head (`voice.asr.partial`, stretches): the decode left at the end of the turn is of the last
    # stretch only, with the head's words as the recogniser's context; words ending in an id cut short are not kept.
    # 0: every pause's decode is of the whole utterance so far. Same words as decoding whole over the benches' 37
    # questions (`bench/bench_asr_stretches.py`); with ids split too it was 88.7 vs 90.3% recovered (ids' digits).
    # Sentences said in two breaths (`--breaths`): the decode left at the end p50 126 vs 332 ms, words 93.3 vs 93.9%.
    segment_s: float = 1.2
    # End of turn from the words too (`voice.turn_end`), once the decode at the pause has a transcript: one that
    # sounds finished (p ≥ finished_p) ends the turn after `early_end_ms` of silence, one that sounds cut off
    # (p ≤ unfinished_p) after `late_end_ms`; otherwise, with no decode at the pause, or while it has not come back,
    # `end_silence_ms` (a slow decode must not add half a second to every turn: it is on the reply's path anyway).
    turn_end_model: bool = True
    turn_end_marks: bool = True  # the recogniser's mark at the end read too (`voice.turn_end`); False: words only
    early_end_ms: int = 300
    late_end_ms: int = 1100
    finished_p: float = 0.7
    unfinished_p: float = 0.25
    # A reply's sentences synthesised as the caller listens, not all at once: the next one waits while more than
    # this much of what was sent is still to be played (by the line's clock: audio plays in real time from its first
    # frame), plus twice the time its synthesis is expected to take (from this reply's sentences so far). A caller who
    # speaks over a 30 s order status after its first sentence then costs one or two sentences' synthesis, not the
    # reply's (CPU the other calls' decodes need), and the line never runs dry. 0: every sentence as soon as it can.
    lookahead_s: float = 3.0
    # A caller who speaks again this soon after their turn ended, before a sentence of the reply was heard, had not
    # finished (a pause the end of turn took for the end): the reply is dropped (recorded as interrupted with nothing
    # heard) and the turn's audio leads the next utterance, answered whole ("where is my parcel … the one from
    # Monday"), not its second half alone. 0: the second half is a turn of its own.
    resume_ms: int = 1000

    @property
    def early_if_over_s(self) -> float:
        """The decode time over which the early decode is worth starting (0: always)."""
        return (self.early_end_ms - self.pause_ms) / 1000 if self.early_when_slow else 0.0


@dataclass(slots=True)
class TurnStats:
    """One answered turn, for logs and benchmarks (seconds; `first_audio_s` from the end of the caller's speech)."""

    transcript: str
    language: str
    speech_s: float
    asr_s: float
    reply: str = ""
    first_audio_s: float | None = None
    interrupted: bool = False
    asr_wait_s: float = 0.0  # from the end of the turn to its transcript
    decoded_early: bool = False  # the transcript came from the decode started at the pause
    finished_p: float | None = None  # how finished the words at the pause sounded (None: not judged)
    end_silence_ms: int = 0  # the silence that ended the turn


class Call:
    def __init__(
        self,
        *,
        agent: Conversations,
        conversation_id: str,
        asr: ASR,
        tts: TTS,
        vad: VAD,
        send: Send,
        phrases: Phrases | None = None,
        config: CallConfig | None = None,
        known_ids: Collection[str] = (),
        emotion: SpeechEmotion | None = None,
        turn_end: TurnEndModel | None = None,
    ) -> None:
        self.agent = agent
        self.conversation_id = conversation_id
        self.asr = asr
        self.tts = tts
        self.vad = vad
        self._send = send
        self.phrases = phrases or Phrases()
        self.config = config or CallConfig()
        self.known_ids = tuple(known_ids)  # the caller's own order ids: a misheard one is snapped to its nearest
        self.emotion = emotion  # hears how the caller sounds (speech cues for the agent's affect); None: words only
        self.language = self.config.language
        self.turns: list[TurnStats] = []
        self.bad_frames = 0
        self.ended = False
        self._detector: TurnDetector | None = None
        self._pending = np.zeros(0, dtype=np.int16)
        self._reply: _Reply | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._carry: np.ndarray | None = None  # an utterance whose turn was cut before the agent heard it
        self._n = 0
        self._quiet_frames = 0  # line time (frames) since anyone last spoke
        self._prompted = 0  # silence prompts since the caller last spoke
        self.on_hold = False  # queued for or talking with a person: silence is waiting, not absence
        self._partial: PartialDecoder | None = None  # decoding the turn being spoken
        self.interim = ""  # the latest partial transcript of the turn being spoken
        self.turn_end = (
            turn_end
            if turn_end is not None
            else (_bundled_turn_end(self.config.turn_end_marks) if self.config.turn_end_model else None)
        )
        self._pause_p: float | None = None  # how finished the words at this pause sound (None: not judged)
        self._judged = False  # this pause's decode has been read

    # ------------------------------------------------------------ frames in

    async def run(self, frames: AsyncIterator[InFrame]) -> None:
        """Until the call ends (a `CallEnded`, or the frames stop); everything started is finished or cancelled."""
        try:
            async for frame in frames:
                await self.on_frame(frame)
                if self.ended:
                    break
        finally:
            await self.hang_up()

    async def on_frame(self, frame: InFrame) -> None:
        if isinstance(frame, AudioIn):
            await self._audio(frame)
        elif isinstance(frame, MarkPlayed):
            self._played(frame.name)
        elif isinstance(frame, DtmfIn):
            await self._dtmf(frame.digit)
        elif isinstance(frame, CallStarted):
            await self._started(frame)
        elif isinstance(frame, CallEnded):
            self.ended = True

    async def _started(self, frame: CallStarted) -> None:
        self._detector = self._new_detector(frame.sample_rate)
        if self.config.greet:
            language = self.language or self.config.default_language
            line = self.phrases.greeting.get(language)
            if line:
                self._speak_lines([line], language, record=False)

    def _new_detector(self, rate: int) -> TurnDetector:
        c = self.config
        return TurnDetector(
            rate,
            frame_ms=c.frame_ms,
            onset_ms=c.onset_ms,
            end_silence_ms=c.end_silence_ms,
            max_speech_s=c.max_speech_s,
            tail_ms=c.pause_ms,
        )

    async def _audio(self, frame: AudioIn) -> None:
        if self._detector is None:  # media before `start` (a provider that skips it): the frame's own rate
            self._detector = self._new_detector(frame.sample_rate)
        detector = self._detector
        if frame.sample_rate != detector.sample_rate:
            self.bad_frames += 1  # audio at another rate than the stream said: not this call's audio
            return
        self._pending = np.concatenate([self._pending, frame.pcm.astype(np.int16)])
        size = detector.sample_rate * self.config.frame_ms // 1000
        while len(self._pending) >= size:
            chunk, self._pending = self._pending[:size], self._pending[size:]
            voiced = self.vad.is_speech(chunk, detector.sample_rate)
            event = detector.push(chunk, voiced)
            if isinstance(event, Onset):
                self._begin_partial(detector)
                await self._onset()
            elif isinstance(event, Utterance):
                self._turn(event)
            elif detector.speaking and self._partial is not None:
                self._partial.push(chunk, voiced)
                self.interim = self._partial.interim
                if voiced:
                    self._pause_p, self._judged = None, False
                elif not self._judged:
                    self._judge_pause(detector, self._partial)
            if not detector.speaking and self._partial is not None and not isinstance(event, Utterance):
                self._partial.close()  # too little speech for a turn: nothing to decode
                self._partial = None
            await self._count_silence(detector.speaking)

    def _judge_pause(self, detector: TurnDetector, partial: PartialDecoder) -> None:
        """Once the decode at this pause is done: how long this silence must last to end the turn, from whether
        its words sound finished (`voice.turn_end`). Until it is done the pause ends after `end_silence_ms`, as
        without the model: only words judged cut off earn `late_end_ms`. A decode slower than that then costs what
        it costs without the model (the reply starts from its transcript once it is in, `PartialDecoder.final`),
        never `late_end_ms`; the price is that cut-off words it would have caught are answered as they are."""
        if self.turn_end is None:
            return
        transcript = partial.pause_transcript
        if transcript is None:  # not in yet (or speech resumed): the detector's `end_silence_ms` stands
            return
        self._judged = True
        text = written(transcript.text)
        if not text.strip():  # no words (a cough, line noise): the silence alone decides
            detector.end_after(self.config.end_silence_ms)
            return
        c = self.config
        p = self.turn_end.finished(text, transcript.language)
        self._pause_p = p
        end_ms = c.early_end_ms if p >= c.finished_p else c.late_end_ms if p <= c.unfinished_p else c.end_silence_ms
        detector.end_after(end_ms)

    def _begin_partial(self, detector: TurnDetector) -> None:
        if self._partial is not None:
            self._partial.close()
        self._partial = None
        self._pause_p, self._judged = None, False
        if not self.config.decode_while_speaking:
            return
        self._partial = PartialDecoder(
            self.asr,
            detector.sample_rate,
            language=self.language,
            spawn=self._spawn,
            interval_s=self.config.partial_interval_s,
            tail_frames=detector.tail_frames,
            frame_ms=self.config.frame_ms,
            early_frames=self.config.early_ms // self.config.frame_ms,
            early_if_over_s=self.config.early_if_over_s,
            quiet_rms=self.config.quiet_rms,
            segment_s=self.config.segment_s,
        )
        self._partial.begin(detector.heard())
        self._partial.on_pause = self._pause_decoded

    def _pause_decoded(self) -> None:
        """The decode at this pause is in (between frames): the end of the turn judged now, and the turn taken now
        when the silence so far already ends it, not at the next frame."""
        detector, partial = self._detector, self._partial
        if detector is None or partial is None or self._judged or not detector.speaking:
            return
        self._judge_pause(detector, partial)
        utterance = detector.end_if_due()
        if utterance is not None:
            self._turn(utterance)

    # ------------------------------------------------------------- barge-in

    @property
    def speaking(self) -> bool:
        """The bot is replying: a turn is being worked on, or its audio has not all been played."""
        return self._reply is not None and not self._reply.finished

    async def _onset(self) -> None:
        self._prompted = 0
        if self.speaking:
            await self.interrupt("barge_in")

    # ---------------------------------------------------------------- silence

    async def _count_silence(self, caller_speaking: bool) -> None:
        """Line time with nobody speaking (caller nor bot, the call not on hold): after `silence_s` the caller is
        asked whether they are still there; after a second such silence the call says goodbye and ends."""
        limit = self.config.silence_s
        if caller_speaking or self.speaking or self.on_hold or limit <= 0 or self.ended:
            self._quiet_frames = 0
            return
        self._quiet_frames += 1
        if self._quiet_frames * self.config.frame_ms < limit * 1000:
            return
        self._quiet_frames = 0
        self._prompted += 1
        language = self.language or self.config.default_language
        phrases = self.phrases.still_there if self._prompted == 1 else self.phrases.goodbye
        line = phrases.get(language, "")
        if line:
            await self._record([BotUttered(conversation_id=self.conversation_id, text=line)])
        if self._prompted == 1:
            if line:
                self._speak_lines([line], language, record=True)
            return
        log.info("call %s: the caller stayed silent; ending the call", self.conversation_id)
        if line:
            self._speak_lines([line], language, record=True)
        self._spawn(self._end_after_reply())

    async def _end_after_reply(self) -> None:
        """End the call once what is being said has been played (its marks came back), or its length has passed."""
        reply = self._reply
        if reply is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reply.task
            deadline = time.monotonic() + reply.audio_s + 2.0
            while reply.unplayed and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        self.ended = True

    # -------------------------------------------------------------- operator

    def hold(self, on: bool) -> None:
        """A person has the call (queued for one, or talking): silence does not end it."""
        self.on_hold = on
        self._quiet_frames = 0

    def operator_said(self, text: str) -> None:
        """An operator's text message in this call's conversation, spoken to the caller after what is being said
        (it is in the log already, as the operator's)."""
        self.hold(True)
        if not self.ended:
            self._spawn(self._say_when_quiet(text))

    async def _say_when_quiet(self, text: str) -> None:
        while self.speaking and not self.ended:
            await asyncio.sleep(0.05)
        if not self.ended:
            self._speak_lines([text], self.language or self.config.default_language, record=False)

    async def interrupt(self, reason: str, reply: _Reply | None = None) -> None:
        """Stop the reply now (`reply`, default the current one): `clear` the provider's queue, cancel the turn,
        record what the caller heard."""
        current = reply is None or reply is self._reply
        reply = reply or self._reply
        if current:
            self._reply = None
        if reply is None or reply.finished:
            return
        heard = reply.heard_text()  # what was played before now; marks echoed after a `clear` mean nothing
        reply.unplayed.clear()
        if reply.stats is not None:
            reply.stats.interrupted = True
        stage = reply.stage
        resumed = (  # (a reply stopped once the next turn began is not resumed: that turn has the audio)
            current
            and reason == "barge_in"
            and reply.audio.size > 0
            and not heard
            and (time.perf_counter() - reply.ended_at) * 1000 <= self.config.resume_ms
        )
        if resumed:  # the caller was not done: this turn's words lead the next utterance (`resume_ms`)
            self._carry = reply.audio
            log.info("call %s: caller went on %.0f ms after turn %d ended; answered with what follows",
                     self.conversation_id, (time.perf_counter() - reply.ended_at) * 1000, reply.n)
        # cancel first: the reply's next send raises, so nothing of it follows the `clear`
        if stage == "asr":
            if current:
                self._carry = reply.audio  # the agent never heard it: it leads the caller's next utterance
            reply.task.cancel()
        elif stage == "agent":  # the agent records BotInterrupted with what was heard and drops the rest
            if not self.agent.interrupt(self.conversation_id, heard=heard, reason=reason):
                reply.task.cancel()
        else:
            reply.task.cancel()
        if reply.sent_audio:
            with contextlib.suppress(Exception):
                await self._send(ClearOut())
        if stage not in ("asr", "agent") and reply.record:
            await self._record([BotInterrupted(conversation_id=self.conversation_id, delivered=heard, reason=reason)])
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reply.task

    # ------------------------------------------------------------------ turns

    def _turn(self, utterance: Utterance) -> None:
        if self.speaking:  # (barge-in at onset normally got here first)
            self._spawn(self.interrupt("barge_in", self._reply))  # that reply, not the one this turn starts
        audio = utterance.pcm
        if self._carry is not None:
            audio, self._carry = np.concatenate([self._carry, audio]), None
        self._n += 1
        reply = _Reply(self._n, audio=audio, rate=utterance.sample_rate)
        reply.ended_at = time.perf_counter()
        reply.finished_p, reply.end_silence_ms = self._pause_p, utterance.silence_ms
        self._pause_p, self._judged = None, False
        reply.partial, self._partial = self._partial, None
        reply.task = self._spawn(self._respond(reply, time.perf_counter()))
        self._reply = reply

    async def _respond(self, reply: _Reply, ended_at: float) -> None:
        hearing = asyncio.ensure_future(hear(self.emotion, reply.audio, reply.rate))  # beside the recogniser
        try:
            await self._answer(reply, ended_at, hearing)
        finally:
            hearing.cancel()

    async def _answer(self, reply: _Reply, ended_at: float, hearing: asyncio.Future[SpeechCues]) -> None:
        if reply.partial is not None:
            transcript = await reply.partial.final(reply.audio)
        else:
            transcript = await asyncio.to_thread(
                self.asr.transcribe, resample(reply.audio, reply.rate, ASR_RATE), self.language
            )
        asr_wait = time.perf_counter() - ended_at
        text = snap_ids(written(transcript.text), self.known_ids).strip()
        if not text:
            reply.stage = "done"
            return
        if self.language is None:
            self.language = transcript.language
        stats = TurnStats(
            text,
            transcript.language,
            len(reply.audio) / reply.rate,
            transcript.decode_s,
            asr_wait_s=asr_wait,
            decoded_early=reply.partial is not None and reply.partial.reused,
            finished_p=reply.finished_p,
            end_silence_ms=reply.end_silence_ms,
        )
        reply.stats = stats
        self.turns.append(stats)
        log.info(
            "call %s: turn %d heard (%.1f s of speech, ASR %.2f s)",
            self.conversation_id,
            reply.n,
            stats.speech_s,
            stats.asr_s,
        )
        speaker = _Speaker(self, reply, ended_at)
        buffer = SentenceBuffer()
        streamed: list[str] = []

        async def on_token(delta: str) -> None:
            streamed.append(delta)
            for sentence in buffer.push(delta):
                speaker.say(sentence, self.language or transcript.language)

        reply.stage = "agent"
        speaking = self._spawn(speaker.run())
        try:
            try:
                result = await self.agent.handle(
                    self.conversation_id, TurnInput(text, speech=await hearing), on_token=on_token
                )
            except InvalidMessage as exc:
                log.info("call %s: turn not taken: %s", self.conversation_id, exc)
                return
            reply.stage = "speaking"
            language = result.state.language or transcript.language
            final = result.reply.text
            said = "".join(streamed)
            if not said:
                rest = sentences(final)
            elif final.startswith(said):
                rest = buffer.flush() + sentences(final[len(said) :])
            else:  # the streamed wording was replaced (the guard's template): say the recorded reply
                buffer.flush()
                rest = sentences(final)
            for sentence in rest:
                speaker.say(sentence, language)
            stats.reply = final
        except asyncio.CancelledError:
            speaking.cancel()  # nothing more is said after a barge-in or a hang-up
            raise
        finally:
            speaker.close()
            with contextlib.suppress(asyncio.CancelledError):
                await speaking

    # --------------------------------------------------------------- speaking

    def _speak_lines(self, lines: list[str], language: str, *, record: bool) -> None:
        """Say fixed lines (greeting, handoff) as a reply of their own, interruptible like any other."""
        self._n += 1
        reply = _Reply(self._n, stage="speaking", record=record)
        speaker = _Speaker(self, reply, None)
        for line in lines:
            for sentence in sentences(line):
                speaker.say(sentence, language)
        speaker.close()
        reply.task = self._spawn(speaker.run())
        self._reply = reply

    async def _synthesize_and_send(
        self, reply: _Reply, name: str, sentence: str, language: str, *, lead: bool = False
    ) -> float | None:
        """Say one sentence (once little enough of the reply is left to play, `_pace`), then its mark; when it was
        sent (its first audio frame), None when it is silent.
        `lead`: the reply's first sentence goes out a clause at a time (`lead_clause`), so the caller hears the
        reply after one clause's synthesis, not the whole sentence's; its mark still follows the whole sentence."""
        spoken = speakable(sentence, language)
        await self._pace(reply, len(spoken))
        first: float | None = None
        for piece in lead_clause(spoken, language) if lead else [spoken]:
            began = time.perf_counter()
            speech = await asyncio.to_thread(self.tts.synthesize, piece, language)
            reply.synth_s_per_char = max(reply.synth_s_per_char, (time.perf_counter() - began) / max(1, len(piece)))
            if speech.pcm.size == 0:
                continue
            await self._send(AudioOut(speech.pcm, speech.sample_rate))
            first = first or time.perf_counter()
            reply.playing_since = reply.playing_since or first
            reply.sent_audio = True
            reply.audio_s += speech.seconds
        if first is None:
            return None
        reply.unplayed[name] = sentence
        await self._send(MarkOut(name))
        return first

    async def _pace(self, reply: _Reply, chars: int) -> None:
        """Wait while the caller has more than enough of this reply still to hear (`CallConfig.lookahead_s`)."""
        lookahead = self.config.lookahead_s
        if lookahead <= 0 or reply.playing_since is None:
            return
        enough = lookahead + 2 * reply.synth_s_per_char * chars
        while (ahead := reply.audio_s - (time.perf_counter() - reply.playing_since)) > enough:
            await asyncio.sleep(ahead - enough)

    def _played(self, name: str) -> None:
        reply = self._reply
        if reply is not None and name in reply.unplayed:
            reply.heard.append(reply.unplayed.pop(name))

    # -------------------------------------------------------------------- dtmf

    async def _dtmf(self, digit: str) -> None:
        if digit != HANDOFF_DIGIT:
            return
        await self.interrupt("dtmf")
        self.hold(True)
        language = self.language or self.config.default_language
        line = self.phrases.handoff.get(language, "")
        events = [HandoffRequested(conversation_id=self.conversation_id, reason="dtmf")]
        if line:
            events.append(BotUttered(conversation_id=self.conversation_id, text=line))
        await self._record(events)
        if line:
            self._speak_lines([line], language, record=True)

    # ---------------------------------------------------------------- helpers

    async def _record(self, events: list[Event]) -> None:
        try:
            await self.agent.record(self.conversation_id, events)
        except Exception:
            log.exception("call %s: recording %s failed", self.conversation_id, [e.type for e in events])

    def _spawn(self, coro: Awaitable[None]) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call %s: task failed", self.conversation_id, exc_info=task.exception())

    async def hang_up(self) -> None:
        """The caller is gone: stop the reply (recording what was heard of it) and wait for every task."""
        self.ended = True
        if self._partial is not None:
            self._partial.close()
            self._partial = None
        await self.interrupt("hangup")
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)


def _bundled_turn_end(marks: bool = True) -> TurnEndModel | None:
    """The shipped end-of-utterance model (`marks`: with the recogniser's end marks); without it (a broken install)
    turns end by silence alone."""
    try:
        return bundled() if marks else bundled().words_only()
    except (OSError, KeyError, ValueError):
        log.warning("end-of-utterance model not loaded; turns end after end_silence_ms of silence", exc_info=True)
        return None


class _Reply:
    """One reply in flight: its stage, the audio that caused it, and which sentences the caller has heard."""

    def __init__(
        self, n: int, *, audio: np.ndarray | None = None, rate: int = 8000, stage: str = "asr", record: bool = True
    ) -> None:
        self.n = n
        self.audio = audio if audio is not None else np.zeros(0, dtype=np.int16)
        self.rate = rate
        self.stage = stage  # asr → agent → speaking → done
        self.record = record  # an interruption is recorded (not for the greeting, which is not in the log)
        self.task: asyncio.Task[None] = None  # type: ignore[assignment]
        self.stats: TurnStats | None = None
        self.partial: PartialDecoder | None = None
        self.finished_p: float | None = None
        self.end_silence_ms = 0
        self.ended_at = 0.0  # when the caller's turn ended (perf_counter; 0 for the bot's own lines)
        self.sent_audio = False
        self.audio_s = 0.0  # of the audio sent
        self.playing_since: float | None = None  # when its first audio frame was sent
        self.synth_s_per_char = 0.0  # the slowest synthesis of this reply so far, seconds per character
        self.unplayed: dict[str, str] = {}  # mark name → sentence, sent but not yet played
        self.heard: list[str] = []
        self.language = "zh"

    @property
    def finished(self) -> bool:
        return (self.stage == "done" or self.task is None or self.task.done()) and not self.unplayed

    def heard_text(self) -> str:
        return ("" if self.language == "zh" else " ").join(self.heard)


class _Speaker:
    """Synthesises and sends one reply's sentences in order, as they come."""

    def __init__(self, call: Call, reply: _Reply, ended_at: float | None) -> None:
        self.call = call
        self.reply = reply
        self.ended_at = ended_at
        self._queue: asyncio.Queue[tuple[str, str] | None] = asyncio.Queue()
        self._i = 0

    def say(self, sentence: str, language: str) -> None:
        self.reply.language = language
        self._queue.put_nowait((sentence, language))

    def close(self) -> None:
        self._queue.put_nowait(None)

    async def run(self) -> None:
        try:
            while (item := await self._queue.get()) is not None:
                sentence, language = item
                self._i += 1
                name = f"{self.reply.n}.{self._i}"
                sent = await self.call._synthesize_and_send(self.reply, name, sentence, language, lead=self._i == 1)
                stats = self.reply.stats
                if sent and stats is not None and stats.first_audio_s is None and self.ended_at is not None:
                    stats.first_audio_s = sent - self.ended_at
        finally:
            if self.reply.stage == "speaking":
                self.reply.stage = "done"
