"""Speech emotion on the phone line: the telephone band, the features a model hears, and the call loop handing the
caller's speech cues to the agent (a scripted reader here; the trained one in `test_speech_emotion_model.py`)."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from agent.events import AffectObserved
from agent.turns import SpeechCues
from tests.fakes.voice import ScriptedASR, ToneTTS, silence, tone
from tests.voice.test_call import feed, log, start_call, until
from voice.emotion import FEATURE_NAMES, SpeechFeatures, TooShort, hear, telephone_band
from voice.emotion.features import _pitch

pytestmark = pytest.mark.unit


def sine(hz: float, seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def voiced(f0: float, seconds: float, rate: int = 8000) -> np.ndarray:
    """A buzz with harmonics (a crude vowel) at `f0`."""
    return sum(sine(f0 * k, seconds, rate) / k for k in range(1, 12)).astype(np.float32)


def level(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x[len(x) // 4: -len(x) // 4] ** 2)))


def test_studio_audio_is_made_to_sound_like_a_phone_line() -> None:
    rate = 16000
    kept = telephone_band(sine(1000, 1.0, rate), rate)
    assert len(kept) == 8000 and kept.dtype == np.float32
    assert level(kept) > 0.8 * level(sine(1000, 1.0, rate))
    for outside in (100.0, 3900.0):  # below and above the telephone band
        assert level(telephone_band(sine(outside, 1.0, rate), rate)) < 0.25 * level(kept)


def test_the_pitch_tracker_follows_a_voice_through_the_telephone_band() -> None:
    for f0 in (110.0, 220.0):  # a low and a high voice; the band-pass removes their fundamentals
        f, strength = _pitch(telephone_band(voiced(f0, 1.0), 8000))
        found = np.median(f[strength > 0.6])
        assert abs(found - f0) < 0.03 * f0


def test_features_have_a_fixed_length_and_ignore_the_level() -> None:
    features = SpeechFeatures(torch_threads=None)
    rng = np.random.default_rng(3)
    speechy = telephone_band(voiced(150.0, 1.2) * (1 + 0.5 * np.sin(np.linspace(0, 20, 9600))) + 0.01 *
                             rng.normal(size=9600).astype(np.float32), 8000)
    loud, quiet = features(speechy), features(speechy * 0.1)
    assert loud.shape == (len(FEATURE_NAMES),) and np.all(np.isfinite(loud))
    assert np.allclose(loud, quiet, atol=1e-2 * (1 + np.abs(loud)).max())  # a quieter handset, the same voice
    f0 = loud[FEATURE_NAMES.index("f0_median")]
    assert abs(f0 - 12 * np.log2(1.5)) < 0.5  # 150 Hz in semitones above 100 Hz
    with pytest.raises(TooShort):
        features(speechy[:800])  # 0.1 s
    with pytest.raises(TooShort):
        features(np.zeros(8000, dtype=np.float32))


class ScriptedEmotion:
    """Hears every utterance as `cues` (after `delay_s`), keeping what it was given."""

    def __init__(self, cues: SpeechCues, delay_s: float = 0.0, fail: bool = False) -> None:
        self.cues, self.delay_s, self.fail = cues, delay_s, fail
        self.heard: list[tuple[int, int]] = []

    def read(self, audio: np.ndarray, sample_rate: int) -> SpeechCues:
        time.sleep(self.delay_s)
        self.heard.append((len(audio), sample_rate))
        if self.fail:
            raise RuntimeError("model crashed")
        return self.cues


ANGRY = SpeechCues(emotion="anger", valence=-0.8, confidence=0.9)


async def test_hearing_never_costs_the_turn() -> None:
    audio = tone(500)
    assert (await hear(None, audio, 8000)) == SpeechCues(duration_s=0.5)
    assert (await hear(ScriptedEmotion(ANGRY, fail=True), audio, 8000)) == SpeechCues(duration_s=0.5)
    got = await hear(ScriptedEmotion(ANGRY), audio, 8000)
    assert (got.emotion, got.confidence, got.duration_s) == ("anger", 0.9, 0.5)


async def test_the_call_hands_the_agent_how_the_caller_sounded() -> None:
    asr = ScriptedASR(["I would like to know where my parcel is."], delay_s=0.05)
    emotion = ScriptedEmotion(ANGRY, delay_s=0.02)
    call, line = await start_call(asr, ToneTTS())
    call.emotion = emotion
    await feed(call, np.concatenate([tone(800), silence(700)]))
    await until(call, lambda: bool(line.marks()) and call._reply is not None and call._reply.stage == "done")
    assert emotion.heard and emotion.heard[0][1] == 8000 and 0.7 * 8000 <= emotion.heard[0][0] <= 1.6 * 8000
    affect = [e for e in log(call) if isinstance(e, AffectObserved)]
    assert [(a.source, a.label) for a in affect] == [("fused", "anger")]
    await call.hang_up()


async def test_a_failing_reader_leaves_the_words_to_speak_for_themselves() -> None:
    call, line = await start_call(ScriptedASR(["I would like to know where my parcel is."]), ToneTTS())
    call.emotion = ScriptedEmotion(ANGRY, fail=True)
    await feed(call, np.concatenate([tone(800), silence(700)]))
    await until(call, lambda: bool(line.marks()) and call._reply is not None and call._reply.stage == "done")
    affect = [e for e in log(call) if isinstance(e, AffectObserved)]
    assert [a.source for a in affect] == ["text"] and affect[0].label != "anger"
    await call.hang_up()
    assert not [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
