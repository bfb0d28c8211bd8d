"""The speech-emotion classifier's weights and what its reading means for the customer's affect.

The model hears four acted emotions (angry, happy, neutral, sad); the agent's affect labels are a customer's:
angry → anger, happy → satisfaction, sad → disappointment. Its weights (standardisation, an RBF kernel map, a
multinomial logistic regression) are plain arrays (`.npz`, no pickle, reproducible bytes) with a `.json` of
metadata beside them: what it was trained on, under which licences, and how it scored on speakers it never
heard. Features come from the voice channel (`voice.emotion.features`); `feature_version` ties a weights file to
the features it expects. Training: `agent.training.ser` (`kefu train ser`).
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agent.affect.model import AffectModelError, save_npz

SER_CLASSES = ("angry", "happy", "neutral", "sad")
TO_AFFECT = {"angry": "anger", "happy": "satisfaction", "neutral": "neutral", "sad": "disappointment"}
# Valence of each heard emotion; the reading's valence is their mean weighted by the probabilities.
VALENCE = {"angry": -0.8, "happy": 0.6, "neutral": 0.0, "sad": -0.5}
REBUILD = "kefu train ser"


@dataclass(frozen=True)
class SpeechEmotionWeights:
    """Standardise; map onto `components` with an RBF kernel (a Nystroem approximation of an RBF SVM's feature
    space; none: linear); then a multinomial logistic regression."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # (classes, features or components)
    intercept: np.ndarray
    feature_version: str
    classes: tuple[str, ...] = SER_CLASSES
    components: np.ndarray | None = None  # (m, features), standardised
    normalization: np.ndarray | None = None  # (m, m)
    gamma: float = 0.0

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Rows of class probabilities (in `classes` order) for rows of features."""
        z = (np.atleast_2d(x) - self.mean) / self.scale
        if self.components is not None and self.normalization is not None:
            d2 = (z**2).sum(axis=1)[:, None] - 2 * z @ self.components.T + (self.components**2).sum(axis=1)[None, :]
            z = np.exp(-self.gamma * np.maximum(d2, 0.0)) @ self.normalization.T
        logits = z @ self.coef.T + self.intercept
        logits = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.array(self.classes)[self.probabilities(x).argmax(axis=1)]

    def save(self, path: Path, meta: dict[str, Any]) -> Path:
        arrays = {"mean": self.mean, "scale": self.scale, "coef": self.coef, "intercept": self.intercept,
                  "classes": np.array(self.classes), "feature_version": np.array(self.feature_version)}
        if self.components is not None and self.normalization is not None:
            arrays |= {"components": self.components, "normalization": self.normalization,
                       "gamma": np.array(self.gamma)}
        save_npz(path, arrays)
        path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> SpeechEmotionWeights:
        """Raises `AffectModelError` (naming `kefu train ser`) for a missing or damaged file."""
        if not path.is_file():
            raise AffectModelError(f"speech emotion model {path} is missing; build it with `{REBUILD}`")
        try:
            with np.load(path, allow_pickle=False) as f:
                z = {name: f[name] for name in f.files}
            classes = tuple(str(k) for k in z["classes"])
            kernel = "components" in z
            width = len(z["components"]) if kernel else len(z["mean"])
            complete = (z["coef"].shape == (len(classes), width) and len(z["intercept"]) == len(classes)
                        and len(z["scale"]) == len(z["mean"])
                        and (not kernel or (z["components"].shape[1] == len(z["mean"]) == len(z["scale"])
                             and z["normalization"].shape == (width, width))))
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
            raise AffectModelError(f"speech emotion model {path} is unreadable ({type(exc).__name__}); rebuild it "
                                   f"with `{REBUILD}`") from exc
        if set(classes) != set(SER_CLASSES) or not complete or not all(
                np.all(np.isfinite(v)) for v in z.values() if v.dtype.kind == "f"):
            raise AffectModelError(f"speech emotion model {path} is not a {'/'.join(SER_CLASSES)} model; "
                                   f"rebuild it with `{REBUILD}`")
        return cls(z["mean"], z["scale"], z["coef"], z["intercept"], str(z["feature_version"]), classes,
                   z.get("components"), z.get("normalization"), float(z["gamma"]) if kernel else 0.0)


@dataclass(frozen=True, slots=True)
class SpeechReading:
    """One utterance as the voice sounds: the affect label, valence in [-1, 1], and the model's confidence."""

    emotion: str  # an affect label (agent.affect.LABELS)
    heard: str  # the model's own class (angry, happy, neutral, sad)
    valence: float
    confidence: float


def reading(probabilities: np.ndarray, classes: tuple[str, ...] = SER_CLASSES) -> SpeechReading:
    p = np.asarray(probabilities, dtype=float).ravel()
    top = int(p.argmax())
    valence = float(sum(p[i] * VALENCE[k] for i, k in enumerate(classes)))
    return SpeechReading(TO_AFFECT[classes[top]], classes[top], round(valence, 3), round(float(p[top]), 3))
