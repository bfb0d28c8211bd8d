"""The trained intent classifier at inference time: a linear model over hashed n-grams, in numpy.

Weights live in one `.npz` (no pickles): int8 weights with a per-class scale, biases, the label list,
the calibration temperature, the confidence threshold and metadata. They load lazily on first use,
once per process and thread-safely; a missing or damaged file raises `IntentModelError` naming the
command that rebuilds it.
"""

from __future__ import annotations

import json
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agent.nlu.features import FEATURE_VERSION, hashed

DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "intents.npz"
REBUILD_HINT = "rebuild it with `kefu train intents`"
_KEYS = ("weights", "scale", "bias", "labels", "temperature", "threshold", "dim", "feature_version", "meta")


class IntentModelError(RuntimeError):
    """The intent weights file is missing or unusable."""


@dataclass(frozen=True, slots=True)
class IntentWeights:
    weights: np.ndarray  # (dim, classes) int8
    scale: np.ndarray  # (classes,) float32: weights * scale = real weights
    bias: np.ndarray  # (classes,) float32
    labels: tuple[str, ...]
    temperature: float
    threshold: float
    dim: int
    meta: dict[str, Any]

    def logits(self, text: str) -> np.ndarray:
        idx = hashed(text, self.dim)
        if idx.size == 0:
            return self.bias.astype(np.float64)
        raw = self.weights[idx].sum(axis=0, dtype=np.int32).astype(np.float64)
        return raw * self.scale / np.sqrt(idx.size) + self.bias

    def proba(self, text: str) -> np.ndarray:
        """Calibrated class probabilities."""
        z = self.logits(text) / self.temperature
        z -= z.max()
        e = np.exp(z)
        return e / e.sum()


def save_weights(path: Path, w: IntentWeights) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(
        tmp,
        weights=w.weights.astype(np.int8),
        scale=w.scale.astype(np.float32),
        bias=w.bias.astype(np.float32),
        labels=np.array(w.labels, dtype=str),
        temperature=np.float64(w.temperature),
        threshold=np.float64(w.threshold),
        dim=np.int64(w.dim),
        feature_version=np.int64(FEATURE_VERSION),
        meta=np.array(json.dumps(w.meta, sort_keys=True)),
    )
    tmp.replace(path)


def load_weights(path: Path) -> IntentWeights:
    """Read and check a weights file; every failure becomes `IntentModelError`."""
    if not path.is_file():
        raise IntentModelError(f"intent model weights not found at {path}; {REBUILD_HINT}")
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in _KEYS if k not in z.files]
            if missing:
                raise IntentModelError(f"intent model {path} lacks {', '.join(missing)}; {REBUILD_HINT}")
            weights, scale, bias = z["weights"], z["scale"], z["bias"]
            labels = tuple(str(s) for s in z["labels"])
            dim = int(z["dim"])
            version = int(z["feature_version"])
            temperature, threshold = float(z["temperature"]), float(z["threshold"])
            meta = json.loads(str(z["meta"]))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise IntentModelError(f"intent model {path} is corrupted ({exc}); {REBUILD_HINT}") from exc
    if version != FEATURE_VERSION:
        raise IntentModelError(f"intent model {path} uses features v{version}, code has v{FEATURE_VERSION}; "
                               f"{REBUILD_HINT}")
    c = len(labels)
    if (weights.dtype != np.int8 or weights.shape != (dim, c) or scale.shape != (c,) or bias.shape != (c,)
            or dim & (dim - 1) or not temperature > 0):
        raise IntentModelError(f"intent model {path} has inconsistent arrays; {REBUILD_HINT}")
    return IntentWeights(weights, scale.astype(np.float64), bias.astype(np.float64), labels, temperature,
                         threshold, dim, meta)


class IntentModel:
    """Lazily loaded, shared classifier. `predict(text)` → [(label, probability)] best first."""

    _cache: dict[Path, IntentWeights] = {}
    _lock = threading.Lock()

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else DEFAULT_MODEL_PATH

    @property
    def weights(self) -> IntentWeights:
        w = IntentModel._cache.get(self.path)
        if w is None:
            with IntentModel._lock:
                w = IntentModel._cache.get(self.path)
                if w is None:
                    w = IntentModel._cache[self.path] = load_weights(self.path)
        return w

    @classmethod
    def forget(cls) -> None:
        """Drop loaded weights (after retraining, or in tests)."""
        with cls._lock:
            cls._cache.clear()

    def proba(self, text: str) -> np.ndarray:
        return self.weights.proba(text)

    def predict(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        w = self.weights
        p = w.proba(text)
        top = np.argsort(-p)[:k]
        return [(w.labels[i], float(p[i])) for i in top]
