"""Held-out measurement of the affect models, with their baselines on the same items (`kefu eval`).

Rows: `{"task", "language", "n", "accuracy", "macro_f1", "baseline", "baseline_accuracy",
"baseline_macro_f1", ...}`. Sentiment baselines are snownlp (zh) and VADER (en, compound >= 0.05 is
positive); the emotion baseline is the previous lexicon reader. `budget` caps the test items per row
(stratified), for a quick run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from agent.training.affect_data import (
    EMOTION_LABELS,
    budgeted,
    default_data_dir,
    load_emotions,
    load_sentiment,
    stratified_split,
)

EMOTION_TEST_FRACTION = 0.25


def macro_f1(y_true: Sequence[Any], y_pred: Sequence[Any], labels: Sequence[Any]) -> float:
    scores = []
    for lab in labels:
        tp = sum(t == lab and p == lab for t, p in zip(y_true, y_pred, strict=True))
        fp = sum(t != lab and p == lab for t, p in zip(y_true, y_pred, strict=True))
        fn = sum(t == lab and p != lab for t, p in zip(y_true, y_pred, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores)) if scores else 0.0


def accuracy(y_true: Sequence[Any], y_pred: Sequence[Any]) -> float:
    return float(np.mean([t == p for t, p in zip(y_true, y_pred, strict=True)])) if len(y_true) else 0.0


def _baseline_sentiment(language: str):  # -> Callable[[str], int]
    if language == "zh":
        from snownlp import SnowNLP

        def snow(text: str) -> int:
            try:
                return int(SnowNLP(text).sentiments > 0.5)
            except (ValueError, ZeroDivisionError, KeyError):
                return 0

        return snow
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sia = SentimentIntensityAnalyzer()
    return lambda text: int(sia.polarity_scores(text)["compound"] >= 0.05)


class CountingJudge:
    """Passes calls to a judge and counts its answers (the share of test sentences it judged; a busy or
    failing judge answers None and is not counted)."""

    def __init__(self, judge: Any) -> None:
        self.inner, self.judge_id, self.calls = judge, judge.judge_id, 0

    def logit(self, text: str) -> float | None:
        z = self.inner.logit(text)
        self.calls += z is not None
        return z


def evaluate_sentiment(
    data_dir: Path | None = None,
    budget: int | None = None,
    *,
    baseline: bool = True,
    models_dir: Path | None = None,
    languages: Sequence[str] = ("zh", "en"),
    judge: Any = None,
) -> list[dict[str, Any]]:
    """Accuracy and macro-F1 on the fixed held-out sentiment splits, model (as served) and baseline; with a
    `judge` whose stage the language's model carries, a second row measures the model with the judge."""
    from agent.affect import TextAffect

    reader = TextAffect(models_dir)
    counting = CountingJudge(judge) if judge is not None else None
    judged = TextAffect(models_dir, judge=counting)  # loads its weights only if a judge row is measured
    rows = []
    for lang in languages:
        _, test = stratified_split(load_sentiment(data_dir or default_data_dir(), lang))
        test = budgeted(test, budget)
        gold = [int(r.label) for r in test]
        fast = [int(reader.sentiment(r.text, lang, refine=False) > 0.5) for r in test]
        pred = [int(reader.sentiment(r.text, lang) > 0.5) for r in test]
        row: dict[str, Any] = {
            "task": "sentiment", "language": lang, "n": len(test),
            "accuracy": accuracy(gold, pred), "macro_f1": macro_f1(gold, pred, (0, 1)),
            "fast_accuracy": accuracy(gold, fast),
            "baseline": "snownlp" if lang == "zh" else "vader",
        }
        if baseline:
            base = _baseline_sentiment(lang)
            bpred = [base(r.text) for r in test]
            row |= {"baseline_accuracy": accuracy(gold, bpred), "baseline_macro_f1": macro_f1(gold, bpred, (0, 1))}
        rows.append(row)
        if counting is not None and judged.judge_active(lang):
            counting.calls = 0
            jpred = [int(judged.sentiment(r.text, lang) > 0.5) for r in test]
            rows.append({
                "task": "sentiment+llm", "language": lang, "n": len(test),
                "accuracy": accuracy(gold, jpred), "macro_f1": macro_f1(gold, jpred, (0, 1)),
                "judged_share": counting.calls / max(1, len(test)),
                "baseline": "no judge", "baseline_accuracy": row["accuracy"], "baseline_macro_f1": row["macro_f1"],
            })
    return rows


def evaluate_emotions(budget: int | None = None, *, models_dir: Path | None = None) -> list[dict[str, Any]]:
    """Accuracy, macro-F1 and anger recall on the held-out part of `agent/data/emotions.jsonl`, per language
    and overall; the baseline is the previous lexicon reader on the same messages."""
    from agent.affect import TextAffect
    from agent.training.lexicon_baseline import LexiconAffect

    _, test = stratified_split(load_emotions(), EMOTION_TEST_FRACTION)
    test = budgeted(test, budget)
    reader, old = TextAffect(models_dir), LexiconAffect()
    pred = [reader.analyze(r.text, r.language).label for r in test]
    bpred = [old.analyze(r.text, r.language).label for r in test]
    rows = []
    for lang in ("zh", "en", "all"):
        idx = [i for i, r in enumerate(test) if lang in ("all", r.language)]
        gold = [str(test[i].label) for i in idx]
        p, b = [pred[i] for i in idx], [bpred[i] for i in idx]
        anger = [i for i, g in enumerate(gold) if g == "anger"]
        rows.append({
            "task": "emotion", "language": lang, "n": len(idx),
            "accuracy": accuracy(gold, p), "macro_f1": macro_f1(gold, p, EMOTION_LABELS),
            "anger_recall": accuracy([gold[i] for i in anger], [p[i] for i in anger]),
            "baseline": "lexicon", "baseline_accuracy": accuracy(gold, b),
            "baseline_macro_f1": macro_f1(gold, b, EMOTION_LABELS),
        })
    return rows


def evaluate_sign(
    data_dir: Path | None = None, budget: int | None = None, *, models_dir: Path | None = None,
    languages: Sequence[str] = ("zh", "en"),
) -> list[dict[str, Any]]:
    """How often the turn's valence (`TextAffect.analyze(...).score`, what the chat state holds) has the sign of
    the held-out sentiment label: a review sent as a message should read negative when it is negative, whatever
    emotion label it gets. `accuracy` is the agreement on all texts (a score of 0 agrees with nothing);
    `negative_agreement` and `positive_agreement` split it by label."""
    from agent.affect import TextAffect

    reader = TextAffect(models_dir)
    rows = []
    for lang in languages:
        _, test = stratified_split(load_sentiment(data_dir or default_data_dir(), lang))
        test = budgeted(test, budget)
        agree = [(r.label == 1 and s > 0) or (r.label == 0 and s < 0)
                 for r, s in ((r, reader.analyze(r.text, lang).score) for r in test)]
        neg = [a for a, r in zip(agree, test, strict=True) if r.label == 0]
        pos = [a for a, r in zip(agree, test, strict=True) if r.label == 1]
        rows.append({"task": "affect sign", "language": lang, "n": len(test), "accuracy": float(np.mean(agree)),
                     "negative_agreement": float(np.mean(neg)) if neg else None,
                     "positive_agreement": float(np.mean(pos)) if pos else None})
    return rows


def evaluate(data_dir: Path | None = None, budget: int | None = None, *, judge: Any = None) -> list[dict[str, Any]]:
    """All affect rows, as `kefu eval` collects them (register `("agent.training.affect", "evaluate")`)."""
    return (evaluate_sentiment(data_dir, budget, judge=judge) + evaluate_sign(data_dir, budget)
            + evaluate_emotions(budget))
