"""Spoken examples for the end-of-utterance fusion (`voice.turn_end_spoken`): the cut is made in the audio of the whole
message at a word's end (not a prefix said on its own, which the voice would end like a sentence), each example is
read with the call's pause after it, and what was heard is cached so a retraining says nothing twice."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from voice.protocols import Speech
from voice.turn_end import MARKS, end_mark
from voice.turn_end_spoken import PAUSE_S, RATE, SpokenExamples, speech_end

pytestmark = pytest.mark.unit

WORD_S = 0.3  # each word of the fake voice: a tone this long, then a short gap


class WordTones:
    """A voice that says each word as a tone, and counts what it was asked to say."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def synthesize(self, text: str, language: str) -> Speech:
        self.said.append(text)
        rate = 8000
        t = np.arange(int(WORD_S * rate)) / rate
        word = (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
        gap = np.zeros(int(0.1 * rate), dtype=np.float32)
        pcm = np.concatenate([np.concatenate([word, gap]) for _ in text.split()] + [np.zeros(rate // 2, np.float32)])
        return Speech((pcm * 32767).astype(np.int16), rate)


def align(audio: np.ndarray, language: str) -> list[float]:
    """Word ends where the fake voice put them (as Whisper's word timings would)."""
    n = round((len(audio) / RATE - 0.5) / (WORD_S + 0.1))
    return [(i + 1) * (WORD_S + 0.1) - 0.1 for i in range(n)]


def transcribe(audio: np.ndarray, language: str) -> str:
    """Words for the tones heard, and a full stop only when the audio ends after the speech's own end plus the pause
    (what the fake hears as a finished sentence): enough to see which audio each example got."""
    frame = RATE // 50
    loud = [np.sqrt(np.mean(audio[i:i + frame] ** 2)) > 0.01 for i in range(0, len(audio) - frame + 1, frame)]
    words = sum(1 for i, x in enumerate(loud) if x and (i == 0 or not loud[i - 1]))
    trailing = len(loud) - (max(i for i, x in enumerate(loud) if x) + 1) if any(loud) else 0
    return " ".join(["w"] * words) + ("." if trailing * 20 >= PAUSE_S * 1000 - 20 else "")


def test_the_cut_is_in_the_whole_message_audio_and_both_are_read_with_the_pause_after(tmp_path: Path) -> None:
    voice = WordTones()
    speaker = SpokenExamples({"en": voice}, align, transcribe, tmp_path / "heard.jsonl")
    heard = speaker.heard(["one two three four five six"], "en", 5, random.Random(1))
    assert voice.said == ["one two three four five six"]  # said once, whole: the prefix is not said on its own
    whole, cut = heard
    assert whole.finished and whole.text == "w w w w w w."  # its own trailing silence cut, the pause after
    assert not cut.finished and 1 <= cut.text.count("w") <= 4  # words left unsaid


def test_what_was_heard_is_cached_and_not_said_again(tmp_path: Path) -> None:
    cache = tmp_path / "heard.jsonl"
    first = SpokenExamples({"en": WordTones()}, align, transcribe, cache)
    a = first.heard(["where is my parcel please", "hi"], "en", 5, random.Random(1))
    voice = WordTones()
    again = SpokenExamples({"en": voice}, align, transcribe, cache).heard(
        ["where is my parcel please", "hi"], "en", 5, random.Random(2))
    assert voice.said == [] and again == a  # "hi" (too short to cut) is remembered too
    assert len(a) == 2


def test_speech_end_drops_the_voice_trailing_silence() -> None:
    audio = np.concatenate([0.3 * np.ones(RATE // 2, np.float32), np.zeros(RATE, np.float32)])
    assert abs(speech_end(audio) - RATE // 2) <= RATE // 50


@pytest.mark.parametrize(("text", "mark"), [("Where is my parcel?", "question"), ("我的快递到哪了？", "question"),
                                            ("I want to return it.", "stop"), ("好的。", "stop"),
                                            ("I want to ask about the", "none"), ("我想问一下，", "comma"),
                                            ("so um...", "ellipsis"), ("那个…", "ellipsis"),
                                            ('He said "stop."', "stop"), ("order KF10000002", "none")])
def test_the_end_mark_is_what_the_recogniser_wrote_last(text: str, mark: str) -> None:
    assert MARKS[end_mark(text)] == mark
