"""Speech emotion in `kefu eval` and behind `kefu train ser` / `kefu eval ser`: the voice channel's audio side
(telephone band, features) handed to the training module, which may not import `voice/` itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from agent.training.ser import DATA_SUBDIR, Featurize, evaluate_clips, load_clips, subset
from agent.training.ser import clip_features as _clip_features

CACHE_DIR = Path("var/cache/ser")  # extracted features per feature version (a minute to rebuild)


def featurizer() -> tuple[Featurize, str]:
    """Raw clip audio → features, as a call hears it (telephone band first), and the features' version."""
    from voice.emotion import FEATURE_VERSION, SpeechFeatures, telephone_band

    features = SpeechFeatures()

    def featurize(audio: np.ndarray, rate: int) -> np.ndarray:
        return features(telephone_band(audio, rate))

    return featurize, FEATURE_VERSION


def clip_features(data_dir: Path, clips: list[Any], cache_dir: Path | None = CACHE_DIR) -> tuple[np.ndarray, str]:
    featurize, version = featurizer()
    return _clip_features(data_dir, clips, featurize, version=version, cache_dir=cache_dir), version


def evaluate(data_dir: Path, budget: int | None = None) -> list[dict[str, Any]]:
    """`kefu eval` rows: accuracy on held-out speakers per language, beside the majority class, and anger recall.
    `budget` keeps about that many clips (a few per speaker and class). No rows without the data set."""
    if not (data_dir / DATA_SUBDIR).is_dir():
        return []
    clips = load_clips(data_dir)
    if budget is not None:
        speakers_classes = len({(c.speaker, c.emotion) for c in clips})
        clips = subset(clips, max(1, budget // speakers_classes))
    x, version = clip_features(data_dir, clips)
    return evaluate_clips(x, clips, version=version).rows()
