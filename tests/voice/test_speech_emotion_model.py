"""The trained speech-emotion reader on real acted speech it never heard: a small model (three CASIA speakers, six
clips per class each, fitted here in seconds) hears the fourth speaker's anger, and an angry caller's real voice,
sent down the phone line, raises the conversation's escalation. The small model is linear: the shipped recipe's
kernel map needs more clips than a test can afford to get confident (`kefu train ser` fits it on all 1,384;
`tests/agent/training/test_ser.py` checks the map itself)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.events import AffectObserved
from agent.training.ser import Clip, clip_features, fit, load_clips, read_audio, subset
from tests.datasets import shared_data
from tests.fakes.voice import ScriptedASR, ToneTTS, silence
from tests.voice.test_call import feed, log, start_call, until
from voice.codecs import ulaw_decode, ulaw_encode
from voice.emotion import FEATURE_VERSION, SpeechFeatures, TrainedSpeechEmotion, telephone_band
from voice.resample import resample, to_int16

pytestmark = pytest.mark.integration

HELD_OUT = "casia:ZhaoZuoxiang"


@pytest.fixture(scope="module")
def data_dir() -> Path:
    return shared_data("emotional_speech")


@pytest.fixture(scope="module")
def reader(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainedSpeechEmotion:
    features = SpeechFeatures()

    def featurize(audio: np.ndarray, rate: int) -> np.ndarray:
        return features(telephone_band(audio, rate))

    train = [c for c in subset(load_clips(data_dir, ["casia"]), 6) if c.speaker != HELD_OUT]
    x = clip_features(data_dir, train, featurize, version=FEATURE_VERSION)
    path = fit(x, [c.emotion for c in train], c=0.1, gamma=0.0, version=FEATURE_VERSION).save(
        tmp_path_factory.mktemp("ser") / "ser.npz", {})
    return TrainedSpeechEmotion(path, features)


def held_out(data_dir: Path, emotion: str, n: int = 8) -> list[Clip]:
    clips = [c for c in load_clips(data_dir, ["casia"]) if c.speaker == HELD_OUT and c.emotion == emotion]
    return sorted(clips, key=lambda c: c.path)[-n:]


def phone(data_dir: Path, clip: Clip) -> np.ndarray:
    """The clip as a phone call delivers it: 8 kHz μ-law."""
    audio, rate = read_audio(data_dir, clip)
    return ulaw_decode(ulaw_encode(to_int16(resample(audio, rate, 8000))))


def test_an_unheard_speakers_anger_sounds_angry(reader: TrainedSpeechEmotion, data_dir: Path) -> None:
    angry = [reader.read(phone(data_dir, c), 8000) for c in held_out(data_dir, "angry")]
    calm = [reader.read(phone(data_dir, c), 8000) for c in held_out(data_dir, "neutral")]
    assert sum(c.emotion == "anger" for c in angry) >= 5
    assert sum(c.emotion == "anger" for c in calm) <= 1
    assert np.mean([c.valence for c in angry]) < np.mean([c.valence for c in calm]) - 0.2


async def test_an_angry_voice_on_the_line_raises_escalation(reader: TrainedSpeechEmotion, data_dir: Path) -> None:
    angry = reader.weights().classes.index("angry")  # the unheard speaker's angriest-sounding clip
    clip = max(held_out(data_dir, "angry"), key=lambda c: reader.probabilities(phone(data_dir, c), 8000)[angry])
    assert reader.read(phone(data_dir, clip), 8000).emotion == "anger"
    call, line = await start_call(ScriptedASR(["我想问一下我的快递到哪了"], language="zh"), ToneTTS(), language="zh")
    call.emotion = reader
    await feed(call, np.concatenate([silence(200), phone(data_dir, clip), silence(900)]))
    await until(call, lambda: bool(line.marks()) and call._reply is not None and call._reply.stage == "done")
    affect = [e for e in log(call) if isinstance(e, AffectObserved)]
    assert [(a.source, a.label) for a in affect] == [("fused", "anger")]
    state = await call.agent.rebuild("call-1")  # type: ignore[attr-defined]
    assert state.escalation_score > 0.3
    await call.hang_up()
