"""A sentence said before is not synthesised again (template replies repeat across calls), and the cache stays
within its bound."""

from __future__ import annotations

import numpy as np
import pytest

from tests.fakes.voice import ToneTTS
from voice.tts import ByLanguage, CachedTTS

pytestmark = pytest.mark.unit


def test_a_sentence_said_before_comes_back_as_it_was_without_a_new_synthesis() -> None:
    voice = ToneTTS(ms_per_char=10)
    cached = CachedTTS(voice)
    first = cached.synthesize("Which order is it?", "en")
    again = cached.synthesize("Which order is it?", "en")
    assert np.array_equal(first.pcm, again.pcm) and again.sample_rate == first.sample_rate
    assert voice.said == [("Which order is it?", "en")] and (cached.hits, cached.misses) == (1, 1)
    cached.synthesize("请问是哪个订单？", "zh")
    cached.synthesize("Which order is it?", "zh")  # another language is another sentence
    assert len(voice.said) == 3
    with pytest.raises(ValueError):  # every call that says it shares the audio: nobody may change it
        again.pcm[0] = 1


def test_the_least_recently_said_sentences_leave_first_when_the_cache_is_full() -> None:
    voice = ToneTTS(ms_per_char=100)  # 1 s for ten characters
    cached = CachedTTS(voice, max_seconds=2.5)
    for text in ("aaaaaaaaaa", "bbbbbbbbbb", "aaaaaaaaaa", "cccccccccc"):  # a is said again: b is the oldest
        cached.synthesize(text, "en")
    voice.said.clear()
    cached.synthesize("aaaaaaaaaa", "en")
    cached.synthesize("cccccccccc", "en")
    assert voice.said == []
    cached.synthesize("bbbbbbbbbb", "en")
    assert voice.said == [("bbbbbbbbbb", "en")]


def test_by_language_caches_each_voice_once_and_can_be_told_not_to() -> None:
    voice = ToneTTS()
    both = ByLanguage({"zh": voice, "en": voice})
    both.synthesize("OK.", "en")
    both.synthesize("OK.", "en")
    assert len(voice.said) == 1 and both.voices["zh"] is both.voices["en"]
    plain = ByLanguage({"en": voice}, cache_s=0)
    plain.synthesize("OK.", "en")
    assert len(voice.said) == 2
