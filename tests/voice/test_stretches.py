"""An utterance decoded in stretches (`voice.asr.partial`, `CallConfig.segment_s`): a pause the caller speaks on
after keeps its decode's words as the utterance's head, and the decode left when the caller stops is of the last
stretch only, with the head's words as its context; the transcript is the head's words then the stretch's."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from tests.fakes.voice import tone
from tests.voice.test_partial_decode import speak, tasks
from voice.asr.partial import PartialDecoder
from voice.protocols import Transcript

pytestmark = pytest.mark.unit

WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


class ContextASR:
    """Writes 'said N.' (N in words) for its Nth decode; records each decode's audio (ms at 16 kHz) and context."""

    def __init__(self, *, empty: set[int] | None = None, delay_s: float = 0.02) -> None:
        self.calls: list[tuple[int, str]] = []
        self.empty = empty or set()
        self.delay_s = delay_s
        self._lock = threading.Lock()

    def transcribe(self, audio: np.ndarray, language: str | None, *, context: str = "") -> Transcript:
        import time

        with self._lock:
            self.calls.append((round(len(audio) / 16), context))
            n = len(self.calls)
        time.sleep(self.delay_s)
        return Transcript("" if n in self.empty else f"said {WORDS[n]}.", language or "en", len(audio) / 16000)


def decoder_for(asr: object, segment_s: float = 1.0) -> tuple[PartialDecoder, list[asyncio.Task[None]]]:
    spawned, spawn = tasks()
    decoder = PartialDecoder(asr, 8000, language="en", spawn=spawn, interval_s=0, tail_frames=10,  # type: ignore[arg-type]
                             segment_s=segment_s)
    decoder.begin(np.zeros(0, dtype=np.int16))
    return decoder, spawned


async def two_breaths(asr: object, *, first_ms: int = 1500, carried_ms: int = 0
                      ) -> tuple[PartialDecoder, np.ndarray, Transcript]:
    """`first_ms` of speech, a 300 ms pause the caller speaks on after (its decode done by then), 800 ms more and the
    pause: the decoder and the audio the turn hands over (`carried_ms` of an earlier utterance in front), decoded."""
    decoder, spawned = decoder_for(asr)
    first = await speak(decoder, first_ms, 300)
    await asyncio.sleep(0.05)
    second = await speak(decoder, 800, 200)
    whole = np.concatenate([tone(carried_ms), first, second] if carried_ms else [first, second])
    final = await decoder.final(whole)
    await asyncio.gather(*spawned)
    return decoder, whole, final


async def test_the_last_stretch_alone_is_decoded_after_the_head_and_the_words_join() -> None:
    asr = ContextASR()
    decoder, whole, final = await two_breaths(asr)  # a stretch, a pause the caller speaks on after, the last stretch
    assert decoder.stretches == 1 and decoder.reused
    assert asr.calls[0] == (1700, "")  # the first pause: the stretch and the 200 ms tail
    # the last decode: from the middle of the first pause (its last 300 - 200 + 100 ms), the stretch, the tail
    assert asr.calls[-1] == (200 + 800 + 200, "said one")  # the head's words without the pause's full stop
    assert final.text == "said one said two." and final.audio_s == pytest.approx(len(whole) / 8000)


async def test_a_head_still_being_decoded_when_the_caller_speaks_on_is_kept_once_it_is_done() -> None:
    asr = ContextASR(delay_s=0.3)
    decoder, spawned = decoder_for(asr)
    first = await speak(decoder, 1500, 200)  # the pause's decode starts and runs 0.3 s
    second = await speak(decoder, 600, 200, pace_s=0.0)  # spoken on at once; then the last pause
    final = await decoder.final(np.concatenate([first, second]))
    await asyncio.gather(*spawned)
    assert decoder.stretches == 1 and [c for _, c in asr.calls] == ["", "said one"]
    assert final.text == "said one said two."


async def test_a_pause_after_too_little_speech_keeps_nothing_and_the_whole_is_decoded() -> None:
    asr = ContextASR()
    decoder, whole, final = await two_breaths(asr, first_ms=600)  # less than a stretch (1 s)
    assert decoder.stretches == 0 and asr.calls[-1] == (len(whole) // 8, "")
    assert final.text == "said two."


async def test_a_stretch_that_heard_nothing_stays_in_the_next_one() -> None:
    asr = ContextASR(empty={1})
    decoder, whole, final = await two_breaths(asr)
    assert decoder.stretches == 0 and asr.calls[-1] == (len(whole) // 8, "") and final.text == "said two."


async def test_audio_that_does_not_begin_with_the_head_is_decoded_whole_without_context() -> None:
    asr = ContextASR()
    _, carried, final = await two_breaths(asr, carried_ms=400)  # an earlier utterance in front (`Call._carry`)
    assert asr.calls[-1] == (len(carried) // 8, "") and final.text == f"said {WORDS[len(asr.calls)]}."


class IdASR(ContextASR):
    def transcribe(self, audio: np.ndarray, language: str | None, *, context: str = "") -> Transcript:
        heard = super().transcribe(audio, language, context=context)
        return Transcript("Where is my order KF 1000." if len(self.calls) == 1 else "0002.", heard.language,
                          heard.audio_s)


async def test_words_ending_in_an_id_cut_short_are_not_kept_the_id_is_decoded_whole() -> None:
    asr = IdASR()
    decoder, whole, _ = await two_breaths(asr)  # "where is my order KF 1000", a pause, "0002"
    assert decoder.stretches == 0 and asr.calls[-1] == (len(whole) // 8, "")


async def test_a_recogniser_without_context_gets_no_stretches() -> None:
    from tests.voice.test_partial_decode import CountingASR

    asr = CountingASR(delay_s=0.01)
    decoder, whole, final = await two_breaths(asr)
    assert decoder.stretches == 0 and final.text == f"heard {len(whole) // 8} ms"


async def test_closing_with_a_head_being_decoded_leaves_nothing_running() -> None:
    asr = ContextASR(delay_s=0.2)
    decoder, spawned = decoder_for(asr)
    await speak(decoder, 1500, 200)
    await speak(decoder, 100, 0)  # spoken on: the running decode is to be kept as the head
    decoder.close()
    await asyncio.gather(*spawned)
    assert all(t.done() for t in spawned) and decoder.pause_transcript is None
