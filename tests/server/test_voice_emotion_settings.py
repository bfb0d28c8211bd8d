"""Which speech-emotion reader a deployment gets: the configured model file, or none (said once) when it is off,
missing, or made for other features — calls then go on with the words alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.affect.speech import SpeechEmotionWeights
from server.infra.voice import speech_emotion
from server.settings import Settings
from voice.emotion import FEATURE_NAMES, FEATURE_VERSION, TrainedSpeechEmotion

pytestmark = pytest.mark.unit


def weights(version: str) -> SpeechEmotionWeights:
    n = len(FEATURE_NAMES)
    return SpeechEmotionWeights(np.zeros(n), np.ones(n), np.zeros((4, n)), np.zeros(4), version)


def test_the_configured_model_is_used_and_a_missing_or_stale_one_is_not(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    good = weights(FEATURE_VERSION).save(tmp_path / "prod.npz", {})
    monkeypatch.setenv("KEFU_VOICE_EMOTION_MODEL", str(good))
    reader = speech_emotion(Settings().voice)
    assert isinstance(reader, TrainedSpeechEmotion) and reader.path == good

    monkeypatch.setenv("KEFU_VOICE_EMOTION", "off")
    assert speech_emotion(Settings().voice) is None

    monkeypatch.setenv("KEFU_VOICE_EMOTION", "model")
    monkeypatch.setenv("KEFU_VOICE_EMOTION_MODEL", str(tmp_path / "missing.npz"))
    assert speech_emotion(Settings().voice) is None
    stale = weights("ser-features-0").save(tmp_path / "old.npz", {})
    monkeypatch.setenv("KEFU_VOICE_EMOTION_MODEL", str(stale))
    assert speech_emotion(Settings().voice) is None
    assert "kefu train ser" in caplog.text
