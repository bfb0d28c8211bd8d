"""The call loop with fake recogniser and voices: a caller's turn reaches the agent and its reply is spoken
sentence by sentence with marks; barge-in clears the line and records what was heard; DTMF 0 queues the call for
a person; bad audio and a hang-up mid-reply leave nothing running."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import numpy as np
import pytest

from agent.events import BotInterrupted, BotUttered, HandoffRequested, UserUttered
from tests.fakes import ScriptedLLM, make_agent
from tests.fakes.voice import EnergyVAD, ScriptedASR, ToneTTS, silence, tone
from voice.call import Call, CallConfig, Phrases
from voice.frames import AudioIn, AudioOut, CallEnded, CallStarted, ClearOut, DtmfIn, MarkOut, MarkPlayed, OutFrame
from voice.text import lead_clause, sentences, speakable

pytestmark = pytest.mark.unit

CID = "call-1"
PHRASES = Phrases(
    greeting={"en": "Hello, this is the store.", "zh": "您好。"},
    handoff={"en": "Okay, connecting you to a person now.", "zh": "正在为您转接人工客服。"},
    still_there={"en": "Are you still there?", "zh": "请问您还在吗？"},
    goodbye={"en": "Goodbye.", "zh": "再见。"},
)


class Line:
    """The provider's end: what the call sent, and marks echoed as a phone would once audio is played."""

    def __init__(self) -> None:
        self.out: list[OutFrame] = []
        self.sent_at: list[float] = []

    async def send(self, frame: OutFrame) -> None:
        self.out.append(frame)
        self.sent_at.append(time.perf_counter())

    def marks(self) -> list[str]:
        return [f.name for f in self.out if isinstance(f, MarkOut)]

    def cleared(self) -> bool:
        return any(isinstance(f, ClearOut) for f in self.out)


async def start_call(
    asr: ScriptedASR,
    tts: ToneTTS,
    *,
    llm: ScriptedLLM | None = None,
    greet: bool = False,
    language: str = "en",
    silence_s: float = 0.0,
    lookahead_s: float = 3.0,
) -> tuple[Call, Line]:
    agent = make_agent(llm=llm)
    await agent.start(CID, channel="voice", customer_id="C1", language=language)
    line = Line()
    call = Call(
        agent=agent,
        conversation_id=CID,
        asr=asr,
        tts=tts,
        vad=EnergyVAD(),
        send=line.send,
        phrases=PHRASES,
        config=CallConfig(language=language, greet=greet, silence_s=silence_s, lookahead_s=lookahead_s),
    )
    await call.on_frame(CallStarted("CA1", "MZ1", 8000, {}))
    return call, line


async def feed(call: Call, audio: np.ndarray) -> None:
    for i in range(0, len(audio), 160):
        await call.on_frame(AudioIn(audio[i : i + 160], 8000))
        await asyncio.sleep(0)


async def until(call: Call, done: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Silence on the line until `done()` (the call's threads need real time)."""
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, "timed out"
        await call.on_frame(AudioIn(silence(20), 8000))
        await asyncio.sleep(0.01)


async def play_all(call: Call, line: Line) -> None:
    for name in line.marks():
        await call.on_frame(MarkPlayed(name))


def log(call: Call) -> list:  # type: ignore[type-arg]
    return call.agent.store.logs[CID]  # type: ignore[attr-defined]


async def test_a_spoken_question_is_answered_sentence_by_sentence_with_a_mark_after_each() -> None:
    asr, tts = ScriptedASR(["Where is my order K F 1 0 0 0 0 0 0 2?"]), ToneTTS()
    call, line = await start_call(asr, tts)
    await feed(call, np.concatenate([tone(800), silence(700)]))
    await until(call, lambda: bool(line.marks()) and call._reply is not None and call._reply.stage == "done")
    await play_all(call, line)
    assert not call.speaking
    said = next(e for e in log(call) if isinstance(e, UserUttered))
    assert said.text == "Where is my order KF10000002?"  # the spoken id, written back as one
    reply = next(e for e in log(call) if isinstance(e, BotUttered)).text
    assert "KF10000002" in reply and "shipped" in reply
    # the first sentence is said a clause at a time (the caller hears its first clause sooner), every sentence whole
    first, *rest = [speakable(s, "en") for s in sentences(reply)]
    assert [text for text, _ in tts.said] == [*lead_clause(first, "en"), *rest] and len(lead_clause(first, "en")) == 2
    assert tts.said[0][0] == "Your order K F," and "1 0 0 0, 0 0 0 2" in tts.said[1][0]
    kinds = [type(f).__name__ for f in line.out]  # one mark per sentence, after all of it
    assert kinds == ["AudioOut", "AudioOut", "MarkOut"] + ["AudioOut", "MarkOut"] * len(rest)
    turn = call.turns[0]
    assert turn.reply == reply and turn.first_audio_s is not None and 0.7 < turn.speech_s < 1.5


async def test_barge_in_clears_the_line_records_what_was_heard_and_answers_the_new_turn() -> None:
    asr, tts = ScriptedASR(["Where is my order KF10000002?", "I want to talk to a human"]), ToneTTS()
    call, line = await start_call(asr, tts)
    await feed(call, np.concatenate([tone(800), silence(700)]))
    await until(
        call,
        lambda: (
            any(isinstance(e, BotUttered) for e in log(call)) and len(line.marks()) >= 2 and call._reply.stage == "done"
        ),
    )
    first_mark = line.marks()[0]
    await call.on_frame(MarkPlayed(first_mark))  # the caller heard the first sentence, then speaks over the rest
    assert call.speaking
    sent_before = len(line.out)
    spoken_ms = 0
    for _ in range(0, 8000, 160):
        await call.on_frame(AudioIn(tone(20), 8000))
        spoken_ms += 20
        if line.cleared():
            break
    assert line.cleared() and spoken_ms <= 150  # `clear` within 150 ms of the caller's speech
    assert isinstance(line.out[sent_before], ClearOut)
    await call.on_frame(MarkPlayed(line.marks()[1]))  # echoed after the clear: not heard
    cut = [e for e in log(call) if isinstance(e, BotInterrupted)]
    reply = next(e for e in log(call) if isinstance(e, BotUttered)).text
    assert len(cut) == 1 and cut[0].reason == "barge_in" and cut[0].delivered == sentences(reply)[0]
    await feed(call, np.concatenate([tone(600), silence(700)]))
    await until(call, lambda: any(isinstance(e, HandoffRequested) for e in log(call)))
    texts = [e.text for e in log(call) if isinstance(e, UserUttered)]
    assert texts == ["Where is my order KF10000002?", "I want to talk to a human"]


WORDS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "last")
LONG = "Your order KF10000002 has shipped. " + " ".join(f"This is the {w} sentence of a long reply." for w in WORDS)


async def test_a_long_reply_is_synthesised_as_the_caller_listens_so_speaking_over_it_costs_only_what_was_said() -> None:
    asr, tts = ScriptedASR(["Where is my order KF10000002?"]), ToneTTS(ms_per_char=30)  # ~1.3 s of audio a sentence
    call, line = await start_call(asr, tts, llm=ScriptedLLM(LONG), lookahead_s=0.5)
    await feed(call, np.concatenate([tone(800), silence(700)]))
    await until(call, lambda: len(line.marks()) >= 1)
    await call.on_frame(MarkPlayed(line.marks()[0]))
    await feed(call, tone(200))  # the caller speaks over the reply after its first sentence
    await until(call, lambda: any(isinstance(e, BotInterrupted) for e in log(call)))
    # the first sentence (a clause at a time) and at most the one after it were synthesised, not the other eight
    assert 2 <= len(tts.said) <= 3, tts.said
    assert line.cleared()


async def test_a_paced_reply_reaches_the_line_before_what_was_sent_has_played_and_is_said_whole() -> None:
    asr, tts = ScriptedASR(["Where is my order KF10000002?"]), ToneTTS(ms_per_char=10)  # ~0.45 s a sentence
    call, line = await start_call(asr, tts, llm=ScriptedLLM(LONG), lookahead_s=0.5)
    await feed(call, np.concatenate([tone(800), silence(700)]))
    await until(call, lambda: call._reply is not None and call._reply.stage == "done")
    audio = [(at, f.pcm.size / f.sample_rate) for f, at in zip(line.out, line.sent_at, strict=True)
             if isinstance(f, AudioOut)]
    first = audio[0][0]
    ends = np.cumsum([seconds for _, seconds in audio])  # when each piece has played, from the first frame
    gaps = [at - first - ends[i] for i, (at, _) in enumerate(audio[1:])]  # < 0: it came before the line ran dry
    assert max(gaps) < 0, f"the line ran dry before a sentence came: {gaps}"
    assert audio[-1][0] - first > 1.0  # paced: not all sent at once (the reply is ~4 s of audio)
    said = " ".join(text for text, _ in tts.said)
    assert "the last sentence of a long reply" in said and len(line.marks()) == len(sentences(LONG))


class SlowLLM(ScriptedLLM):
    """Streams its reply slowly, as a loaded LLM does."""

    async def stream(self, messages, *, max_tokens: int = 256) -> AsyncIterator[str]:  # type: ignore[override]
        async for chunk in super().stream(messages, max_tokens=max_tokens):
            await asyncio.sleep(0.02)
            yield chunk


async def test_barge_in_while_the_reply_is_still_being_written_cancels_the_turn() -> None:
    llm = SlowLLM("Your order KF10000002 has shipped. " + "It is on its way to you now. " * 20)
    asr, tts = ScriptedASR(["Where is my order KF10000002?"]), ToneTTS()
    call, line = await start_call(asr, tts, llm=llm)
    await feed(call, np.concatenate([tone(800), silence(700)]))
    await until(call, lambda: len(line.marks()) >= 1)
    await call.on_frame(MarkPlayed(line.marks()[0]))
    heard = " ".join(text for text, _ in tts.said[:2])  # its first sentence, said a clause at a time
    await feed(call, tone(200))
    await until(call, lambda: any(isinstance(e, BotInterrupted) for e in log(call)))
    assert line.cleared()
    cut = next(e for e in log(call) if isinstance(e, BotInterrupted))
    assert heard == "Your order K F, 1 0 0 0, 0 0 0 2 has shipped."  # (as it was said)
    assert cut.reason == "barge_in" and cut.delivered == "Your order KF10000002 has shipped."
    assert not any(isinstance(e, BotUttered) for e in log(call))  # the rest was never said, nor recorded
    n = len(line.out)
    await asyncio.sleep(0.3)
    assert not any(isinstance(f, AudioOut) for f in line.out[n:])  # nothing more is said after the clear
    await call.hang_up()
    assert not call._tasks


async def test_dtmf_zero_queues_the_call_for_a_person_and_says_so() -> None:
    asr, tts = ScriptedASR([]), ToneTTS()
    call, line = await start_call(asr, tts, greet=True)
    await until(call, lambda: len(line.marks()) >= 1)
    assert tts.said[0] == ("Hello, this is the store.", "en")
    await call.on_frame(DtmfIn("5"))  # other keys do nothing
    await call.on_frame(DtmfIn("0"))
    assert line.cleared()  # the greeting was cut
    await until(call, lambda: len(line.marks()) >= 2)
    assert tts.said[-1] == ("Okay, connecting you to a person now.", "en")
    handoff = [e for e in log(call) if isinstance(e, HandoffRequested)]
    assert [h.reason for h in handoff] == ["dtmf"]
    assert (await call.agent.state(CID)).handoff == "queued"
    assert not any(isinstance(e, BotInterrupted) for e in log(call))  # the greeting is not in the log


async def test_audio_at_another_rate_is_dropped_and_a_hang_up_mid_reply_leaves_nothing_running() -> None:
    asr, tts = ScriptedASR(["Where is my order KF10000002?"]), ToneTTS()
    call, line = await start_call(asr, tts)
    await call.on_frame(AudioIn(tone(20, rate=16000), 16000))  # not the stream's 8 kHz
    await call.on_frame(AudioIn(np.zeros(37, dtype=np.int16), 8000))  # a truncated frame is just audio
    assert call.bad_frames == 1
    await feed(call, np.concatenate([tone(800), silence(700)]))
    await until(call, lambda: len(line.marks()) >= 1)
    before = {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}

    async def frames() -> AsyncIterator:  # type: ignore[type-arg]
        yield CallEnded("stop")

    await call.run(frames())
    assert call.ended and not call._tasks
    assert not ({t for t in asyncio.all_tasks() if not t.done()} - before - {asyncio.current_task()})
    cut = [e for e in log(call) if isinstance(e, BotInterrupted)]
    assert [c.reason for c in cut] == ["hangup"] and cut[0].delivered == ""
