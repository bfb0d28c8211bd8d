"""Speech-emotion training: speakers never straddle folds, the stored model computes what scikit-learn fitted,
and the report carries the majority-class baseline and anger recall per language."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.affect.speech import SpeechEmotionWeights
from agent.training.ser import CLASSES, Clip, evaluate_clips, fit, speaker_folds

pytestmark = pytest.mark.unit


def clips_of(corpus: str, speakers: int, per_class: int) -> list[Clip]:
    return [Clip(corpus, f"{s}/{e}/{i}.wav", f"{corpus}:{s}", e)
            for s in range(speakers) for e in CLASSES for i in range(per_class)]


def test_each_speaker_is_held_out_in_exactly_one_fold_and_every_fold_holds_out_some() -> None:
    clips = clips_of("casia", 4, 2) + clips_of("ravdess", 24, 1) + clips_of("tess", 2, 1)
    folds = speaker_folds(clips)
    by_speaker: dict[str, set[int]] = {}
    for c, f in zip(clips, folds, strict=True):
        by_speaker.setdefault(c.speaker, set()).add(int(f))
    assert all(len(f) == 1 for f in by_speaker.values())
    for k in range(4):  # each fold tests one CASIA speaker and six RAVDESS actors
        held = {c.speaker for c, f in zip(clips, folds, strict=True) if f == k}
        assert sum(s.startswith("casia") for s in held) == 1 and sum(s.startswith("ravdess") for s in held) == 6


def synthetic(clips: list[Clip], seed: int = 0) -> np.ndarray:
    """Features in which each class sits around its own point (plus a speaker offset the model must see past)."""
    rng = np.random.default_rng(seed)
    centre = {e: rng.normal(size=12) * 1.5 for e in CLASSES}
    speaker = {c.speaker: rng.normal(size=12) * 0.5 for c in clips}
    return np.array([centre[c.emotion] + speaker[c.speaker] + rng.normal(size=12) for c in clips])


def test_the_stored_model_computes_what_was_fitted(tmp_path: Path) -> None:
    from sklearn.kernel_approximation import Nystroem
    from sklearn.linear_model import LogisticRegression

    clips = clips_of("ravdess", 8, 5)
    x, y = synthetic(clips), [c.emotion for c in clips]
    model = SpeechEmotionWeights.load(fit(x, y, c=1.0, gamma=0.05, version="v").save(tmp_path / "m.npz", {}))
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    nys = Nystroem(gamma=0.05, n_components=min(400, len(z)), random_state=7).fit(z)
    lr = LogisticRegression(C=1.0, max_iter=3000, random_state=7).fit(nys.transform(z), y)
    order = [list(lr.classes_).index(k) for k in CLASSES]
    assert np.allclose(model.probabilities(x), lr.predict_proba(nys.transform(z))[:, order], atol=1e-6)
    assert model.components is not None and model.gamma == 0.05


def test_the_report_sets_accuracy_beside_the_majority_class_and_anger_recall() -> None:
    clips = clips_of("casia", 4, 6) + clips_of("ravdess", 8, 3)
    report = evaluate_clips(synthetic(clips), clips, gamma=0.05, version="v")
    rows = {r["language"]: r for r in report.rows()}
    assert set(rows) == {"zh", "en"} and rows["zh"]["n"] == 96 and rows["en"]["n"] == 96
    for r in rows.values():
        assert r["baseline_accuracy"] == pytest.approx(0.25)  # balanced classes: the majority class is a guess
        assert r["accuracy"] > 0.6 and r["anger_recall"] > 0.6
    assert all(s.anger_heard <= s.anger_recall for s in report.scores)  # confident anger is a part of all of it
    assert "anger recall" in str(report) and "majority baseline" in str(report)
