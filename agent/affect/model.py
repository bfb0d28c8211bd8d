"""Affect model files: storage format, loading with clear errors, and the arithmetic of inference.

Weights are plain arrays in `.npz` files (no pickles, so they load across numpy/scikit-learn versions),
written with fixed zip timestamps so the same training run gives byte-identical files. A missing or
damaged file raises `AffectModelError` naming the command that rebuilds it.
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agent.affect.cues import dense_features
from agent.affect.features import ngrams
from agent.e5 import DIM as E5_DIM
from agent.ngrams import Hashed, logtf_features

REBUILD_COMMAND = "kefu train affect"
FORMAT_VERSION = 1
MODELS_DIR = Path(__file__).resolve().parents[1] / "models"


class AffectModelError(RuntimeError):
    """An affect weights file is missing or unusable."""


# --- storage -------------------------------------------------------------------------------------


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays like `np.savez_compressed`, but reproducibly (sorted names, fixed timestamps)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            buf = io.BytesIO()
            array = np.asarray(arrays[name])  # (ascontiguousarray would turn scalars into 1-element vectors)
            np.lib.format.write_array(buf, array if array.flags.c_contiguous else array.copy(), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())
    tmp.replace(path)


def load_npz(path: Path, kind: str, required: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Read a weights file of `kind`, checking it is complete; any problem becomes `AffectModelError`."""
    if not path.is_file():
        raise AffectModelError(f"affect model file {path} is missing; rebuild it with `{REBUILD_COMMAND}`")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {name: z[name] for name in z.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise AffectModelError(
            f"affect model file {path} is corrupted ({type(exc).__name__}: {exc}); rebuild it with `{REBUILD_COMMAND}`"
        ) from exc
    missing = [k for k in ("format", "kind", *required) if k not in arrays]
    problem = f"lacks {', '.join(missing)}" if missing else ""
    if not problem and (int(arrays["format"]) != FORMAT_VERSION or str(arrays["kind"]) != kind):
        problem = f"is a {arrays['kind']} file of format {int(arrays['format'])}, expected {kind} {FORMAT_VERSION}"
    if not problem:
        bad = [k for k, v in arrays.items() if v.dtype.kind == "f" and not np.all(np.isfinite(v))]
        problem = f"has non-finite values in {', '.join(bad)}" if bad else ""
    if problem:
        raise AffectModelError(f"affect model file {path} {problem}; rebuild it with `{REBUILD_COMMAND}`")
    return arrays


def e5_cut(text: str, max_chars: int) -> str:
    """What the refine stage embeds, in training and inference alike: long reviews are cut to `max_chars`
    (0: whole text), because e5 time grows with length (~0.8 ms a Chinese character here)."""
    return text[:max_chars] if max_chars > 0 else text


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


# --- sentiment -----------------------------------------------------------------------------------

_SENTIMENT_KEYS = ("language", "bits", "weights", "bias", "stack_coef", "stack_bias", "uses_vader",
                   "e5_coef", "e5_bias", "refine_coef", "refine_bias", "refine_margin")


@dataclass(frozen=True, slots=True)
class SentimentModel:
    """Binary sentiment for one language: hashed n-gram logistic regression, stacked with VADER (en).

    Optionally a second stage ("refine") for the uncertain band |p - 0.5| < `refine_margin`: a linear probe
    on the bundled e5 sentence embedding, stacked on the first stage. It is slower (~10 ms) and only worth
    it where the first stage is unsure; `refine_margin` 0 switches it off. Optionally a third for what is
    still within `judge_margin`: an LLM judge's logit (`agent.protocols.SentimentJudge`, ~0.5 s).
    """

    language: str
    bits: int
    weights: np.ndarray  # (2**bits,) float32
    bias: float
    stack_coef: np.ndarray  # over [ngram_logit, vader compound, vader pos, vader neg] (first 1 or 4)
    stack_bias: float
    uses_vader: bool
    e5_coef: np.ndarray  # (384,) or empty
    e5_bias: float
    refine_coef: np.ndarray  # over [*stack inputs, e5 logit]
    refine_bias: float
    refine_margin: float
    e5_max_chars: int = 0  # the refine stage embeds only the first e5_max_chars characters (0: all)
    # Third stage, for what is still uncertain after the second: an LLM judge's logit stacked on the
    # second stage's logit. Only the judge it was trained with (`judge_id`) is read; "" = no stage.
    judge_id: str = ""
    judge_coef: np.ndarray | None = None  # over [previous logit, judge logit]
    judge_bias: float = 0.0
    judge_margin: float = 0.0

    @classmethod
    def load(cls, path: Path) -> SentimentModel:
        a = load_npz(path, "sentiment", _SENTIMENT_KEYS)
        bits = int(a["bits"])
        weights = a["weights"].astype(np.float32)
        if weights.shape != (1 << bits,):
            raise AffectModelError(f"affect model file {path} has weights of the wrong shape; "
                                   f"rebuild it with `{REBUILD_COMMAND}`")
        return cls(language=str(a["language"]), bits=bits, weights=weights, bias=float(a["bias"]),
                   stack_coef=a["stack_coef"].astype(np.float64), stack_bias=float(a["stack_bias"]),
                   uses_vader=bool(a["uses_vader"]), e5_coef=a["e5_coef"].astype(np.float32),
                   e5_bias=float(a["e5_bias"]), refine_coef=a["refine_coef"].astype(np.float64),
                   refine_bias=float(a["refine_bias"]), refine_margin=float(a["refine_margin"]),
                   e5_max_chars=int(a["e5_max_chars"]) if "e5_max_chars" in a else 0,
                   **_judge_fields(a, path))

    @property
    def can_refine(self) -> bool:
        return self.refine_margin > 0 and self.e5_coef.shape == (E5_DIM,)

    def ngram_logit(self, text: str, hashed: Hashed | None = None) -> float:
        """`hashed`: the text's n-grams in this model's language, already hashed (read once for both models)."""
        idx, val = logtf_features(ngrams(text, self.language) if hashed is None else hashed, self.bits)
        return float(self.weights[idx] @ val) + self.bias

    def stack_inputs(self, text: str, vader: dict[str, float] | None, hashed: Hashed | None = None) -> np.ndarray:
        z = [self.ngram_logit(text, hashed)]
        if self.uses_vader:
            v = vader or {"compound": 0.0, "pos": 0.0, "neg": 0.0}
            z += [v["compound"], v["pos"], v["neg"]]
        return np.asarray(z, dtype=np.float64)

    def fast_probability(self, inputs: np.ndarray) -> float:
        return _logistic(float(self.stack_coef @ inputs) + self.stack_bias)

    def e5_text(self, text: str) -> str:
        return e5_cut(text, self.e5_max_chars)

    def refined_probability(self, inputs: np.ndarray, embedding: np.ndarray) -> float:
        e5_logit = float(self.e5_coef @ embedding) + self.e5_bias
        return _logistic(float(self.refine_coef @ np.append(inputs, e5_logit)) + self.refine_bias)

    def uncertain(self, p: float) -> bool:
        return self.can_refine and abs(p - 0.5) < self.refine_margin

    def can_judge(self, judge_id: str) -> bool:
        return bool(self.judge_id) and self.judge_id == judge_id and self.judge_margin > 0

    def judge_uncertain(self, p: float, judge_id: str) -> bool:
        return self.can_judge(judge_id) and abs(p - 0.5) < self.judge_margin

    def judged_probability(self, p: float, judge_logit: float) -> float:
        assert self.judge_coef is not None
        prev = math.log(max(p, 1e-6) / max(1 - p, 1e-6))
        return _logistic(float(self.judge_coef[0]) * prev + float(self.judge_coef[1]) * judge_logit + self.judge_bias)


_JUDGE_KEYS = ("judge_id", "judge_coef", "judge_bias", "judge_margin")


def _judge_fields(a: dict[str, np.ndarray], path: Path) -> dict[str, Any]:
    """The optional judge stage (files written before it existed have none)."""
    present = [k for k in _JUDGE_KEYS if k in a]
    if not present:
        return {}
    if len(present) != len(_JUDGE_KEYS) or a["judge_coef"].shape != (2,):
        raise AffectModelError(f"affect model file {path} has an incomplete judge stage; "
                               f"rebuild it with `{REBUILD_COMMAND}`")
    return {"judge_id": str(a["judge_id"]), "judge_coef": a["judge_coef"].astype(np.float64),
            "judge_bias": float(a["judge_bias"]), "judge_margin": float(a["judge_margin"])}


# --- emotions ------------------------------------------------------------------------------------

_EMOTION_KEYS = ("labels", "bits", "weights", "dense_coef", "bias", "anger_floor")


@dataclass(frozen=True, slots=True)
class EmotionModel:
    """Customer-service emotion: multinomial logistic regression on hashed n-grams plus cue features."""

    labels: tuple[str, ...]
    bits: int
    weights: np.ndarray  # (labels, 2**bits) float32
    dense_coef: np.ndarray  # (labels, len(DENSE_FEATURES)) float32
    bias: np.ndarray  # (labels,)
    anger_floor: float = 1.0  # label anger once P(anger) reaches this, even if another label is likelier

    @classmethod
    def load(cls, path: Path) -> EmotionModel:
        a = load_npz(path, "emotion", _EMOTION_KEYS)
        labels = tuple(str(x) for x in a["labels"])
        bits = int(a["bits"])
        if a["weights"].shape != (len(labels), 1 << bits) or a["dense_coef"].shape[0] != len(labels):
            raise AffectModelError(f"affect model file {path} has weights of the wrong shape; "
                                   f"rebuild it with `{REBUILD_COMMAND}`")
        return cls(labels=labels, bits=bits, weights=a["weights"].astype(np.float32),
                   dense_coef=a["dense_coef"].astype(np.float32), bias=a["bias"].astype(np.float32),
                   anger_floor=float(a["anger_floor"]))

    def label(self, probs: dict[str, float]) -> str:
        if probs.get("anger", 0.0) >= self.anger_floor:
            return "anger"  # missing anger (escalation) costs more than a false alarm
        return max(probs, key=probs.__getitem__)

    def probabilities(self, text: str, language: str, sentiment_logit: float, vader: float,
                      hashed: Hashed | None = None) -> np.ndarray:
        idx, val = logtf_features(ngrams(text, language) if hashed is None else hashed, self.bits)
        dense = dense_features(text, language, sentiment_logit, vader)
        z = self.weights[:, idx] @ val + self.dense_coef @ dense + self.bias
        z = np.exp(z - z.max())
        return z / z.sum()
