"""The bundled speech-emotion reader: telephone band → features → the trained classifier → `SpeechCues`.

Implements `voice.protocols.SpeechEmotion`. The weights (`kefu train ser`, `agent/models/speech_emotion.npz` by default,
`KEFU_VOICE_EMOTION_MODEL` for another) load on first use or `warm_up`; a file made for other features is
refused rather than read wrongly. An utterance too short to judge (under a quarter second of sound) gets cues
without an emotion, which leaves the text's affect alone.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import numpy as np

from agent.affect.model import AffectModelError
from agent.affect.speech import SpeechEmotionWeights, reading
from agent.turns import SpeechCues
from voice.emotion.features import FEATURE_VERSION, SpeechFeatures, TooShort
from voice.emotion.telephone import telephone_band

log = logging.getLogger(__name__)


class TrainedSpeechEmotion:
    def __init__(self, path: Path, features: SpeechFeatures | None = None) -> None:
        self.path = Path(path)
        self.features = features or SpeechFeatures()
        self._weights: SpeechEmotionWeights | None = None
        self._lock = threading.Lock()

    def weights(self) -> SpeechEmotionWeights:
        with self._lock:
            if self._weights is None:
                weights = SpeechEmotionWeights.load(self.path)
                if weights.feature_version != FEATURE_VERSION:
                    raise AffectModelError(
                        f"speech emotion model {self.path} expects features {weights.feature_version}, this "
                        f"version computes {FEATURE_VERSION}; rebuild it with `kefu train ser`")
                self._weights = weights
            return self._weights

    def warm_up(self) -> None:
        self.weights()
        self.features.warm_up()

    def probabilities(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """The classes' probabilities (`weights().classes` order). Raises `TooShort` for too little sound."""
        return self.weights().probabilities(self.features(telephone_band(audio, sample_rate)))[0]

    def read(self, audio: np.ndarray, sample_rate: int) -> SpeechCues:
        duration = round(len(audio) / sample_rate, 2) if sample_rate else 0.0
        started = time.perf_counter()
        try:
            p = self.probabilities(audio, sample_rate)
        except TooShort:
            return SpeechCues(duration_s=duration)
        r = reading(p, self.weights().classes)
        log.debug("speech emotion %s (%.2f) for %.1f s of audio in %.0f ms", r.heard, r.confidence, duration,
                  1000 * (time.perf_counter() - started))
        return SpeechCues(emotion=r.emotion, valence=r.valence, confidence=r.confidence, duration_s=duration)
