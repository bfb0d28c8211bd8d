"""The hotline's manners, on the call loop with fake models: a silent caller is asked whether they are still
there, then told goodbye and the call ends; an operator's text is spoken to the caller; a hang-up while a
sentence is being synthesised leaves no task running and sends nothing more."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest

from agent.events import BotUttered
from tests.fakes.voice import ScriptedASR, ToneTTS, silence, tone
from tests.voice.test_call import CID, feed, log, play_all, start_call, until
from voice.frames import AudioIn, AudioOut, CallEnded, DtmfIn, MarkOut
from voice.protocols import Speech

pytestmark = pytest.mark.unit


def bot_lines(call) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.text for e in log(call) if isinstance(e, BotUttered)]


async def quiet(call, seconds: float) -> None:  # type: ignore[no-untyped-def]
    """Line silence, as fast as the call takes it (its clock is the audio, not the wall)."""
    await feed(call, silence(int(seconds * 1000)))


async def test_a_silent_caller_is_prompted_then_told_goodbye_and_the_call_ends() -> None:
    asr, tts = ScriptedASR([]), ToneTTS()
    call, line = await start_call(asr, tts, silence_s=1.0)
    await quiet(call, 0.9)
    assert tts.said == []  # not yet
    await quiet(call, 0.2)
    await until(call, lambda: len(line.marks()) >= 1)
    assert tts.said == [("Are you still there?", "en")] and bot_lines(call) == ["Are you still there?"]
    await play_all(call, line)
    await quiet(call, 1.1)
    await until(call, lambda: len(line.marks()) >= 2)
    assert tts.said[-1] == ("Goodbye.", "en") and not call.ended  # the goodbye is heard out first
    await play_all(call, line)
    await until(call, lambda: call.ended)
    assert bot_lines(call) == ["Are you still there?", "Goodbye."]
    await call.hang_up()
    assert not call._tasks


async def test_speaking_after_the_prompt_starts_the_count_again() -> None:
    asr, tts = ScriptedASR(["Where is my order KF10000002?"]), ToneTTS()
    call, line = await start_call(asr, tts, silence_s=1.0)
    await quiet(call, 1.1)
    await until(call, lambda: len(line.marks()) >= 1)
    await play_all(call, line)
    await feed(call, np.concatenate([tone(600), silence(700)]))  # the caller answers: a turn, not a goodbye
    await until(call, lambda: any("KF10000002" in t for t in bot_lines(call)) and call._reply.stage == "done")
    await play_all(call, line)
    await quiet(call, 1.1)
    await until(call, lambda: tts.said[-1][0] == "Are you still there?")  # asked again, not told goodbye
    assert "Goodbye." not in [t for t, _ in tts.said] and not call.ended
    await call.hang_up()


async def test_an_operators_message_is_spoken_and_silence_while_waiting_for_one_does_not_end_the_call() -> None:
    asr, tts = ScriptedASR([]), ToneTTS()
    call, line = await start_call(asr, tts, silence_s=1.0, language="zh")
    await call.on_frame(DtmfIn("0"))
    await until(call, lambda: len(line.marks()) >= 1)
    await play_all(call, line)
    await quiet(call, 3.0)  # waiting for a person: no prompt, no goodbye
    assert [t for t, _ in tts.said] == ["正在为您转接人工客服。"]
    call.operator_said("您好，我是客服小王，请问订单有什么问题？")
    await until(call, lambda: len(line.marks()) >= 2)
    # said whole (its first clause synthesised apart, `lead_clause`), in zh, its mark after all of it
    assert "".join(t for t, _ in tts.said[1:]) == "您好，我是客服小王，请问订单有什么问题？"
    assert {language for _, language in tts.said[1:]} == {"zh"}
    assert isinstance(line.out[-2], AudioOut) and isinstance(line.out[-1], MarkOut)
    await call.hang_up()
    assert not call._tasks


class BlockingTTS(ToneTTS):
    """Synthesis that takes as long as the test says: a hang-up lands while a sentence is in the thread."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.running = 0

    def synthesize(self, text: str, language: str) -> Speech:
        self.running += 1
        try:
            self.release.wait(5)
            return super().synthesize(text, language)
        finally:
            self.running -= 1


async def test_a_hang_up_while_a_sentence_is_synthesised_leaves_nothing_running_and_sends_nothing_more() -> None:
    asr, tts = ScriptedASR(["Where is my order KF10000002?"]), BlockingTTS()
    call, line = await start_call(asr, tts)
    await feed(call, np.concatenate([tone(800), silence(700)]))
    await until(call, lambda: tts.running == 1)  # the reply's first sentence is in the synthesis thread
    tasks_before = {t for t in asyncio.all_tasks() if t is not asyncio.current_task()} - call._tasks

    async def hang_up():  # type: ignore[no-untyped-def]
        yield CallEnded("stop")

    await call.run(hang_up())
    assert call.ended and not call._tasks
    assert not {t for t in asyncio.all_tasks() if not t.done()} - tasks_before - {asyncio.current_task()}
    tts.release.set()
    deadline = time.monotonic() + 5
    while tts.running and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    assert tts.running == 0  # the thread finished its sentence and is free
    assert not any(isinstance(f, AudioOut) for f in line.out)  # and what it made was never sent
    await call.on_frame(AudioIn(silence(20), 8000))  # frames after the end change nothing
    assert CID in call.agent.store.logs  # type: ignore[attr-defined]
