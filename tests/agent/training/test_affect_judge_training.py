"""Training the sentiment judge stage: added only for a judge that helps on held-out sentences, never for zh."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.training.affect import fit_sentiment
from agent.training.affect_data import Example
from tests.fakes import ScriptedJudge

pytestmark = pytest.mark.integration


class LabelAwareJudge(ScriptedJudge):
    """Knows the answers for the training texts (a stand-in for a strong judge) except every 10th."""

    def __init__(self, labels: dict[str, int]) -> None:
        super().__init__("judge-train")
        self.labels = labels

    def judge_many(self, texts: list[str]) -> list[float]:
        return [(4.0 if self.labels[t] else -4.0) * (-1 if i % 10 == 0 else 1) for i, t in enumerate(texts)]


def _training_rows() -> list[Example]:
    from agent.training.affect_data import budgeted, default_data_dir, load_sentiment, stratified_split

    train, _ = stratified_split(load_sentiment(default_data_dir(), "en"))
    return budgeted(train, 300, 7)


def test_training_adds_the_stage_only_for_a_judge_that_helps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_CACHE_DIR", str(tmp_path))
    train = _training_rows()
    labels = {r.text: int(r.label) for r in train}
    useful = fit_sentiment(train, "en", 7, True, lambda it, d, n: it, LabelAwareJudge(labels))
    assert str(useful.arrays["judge_id"]) == "judge-train"
    assert float(useful.arrays["judge_margin"]) > 0 and float(useful.arrays["judge_coef"][1]) > 0
    assert any("judge band" in n for n in useful.notes)
    useless = fit_sentiment(train, "en", 7, True, lambda it, d, n: it, ScriptedJudge("judge-flat", answer=0.0))
    assert "judge_id" not in useless.arrays
    assert any("no judge stage" in n for n in useless.notes)
    # zh never gets one (its reviews are long and it meets its target without)
    zh = [
        Example(text=t, label=lab, language="zh", source="t")
        for t, lab in [("很好", 1), ("太差了", 0), ("非常满意", 1), ("不推荐", 0)] * 10
    ]
    assert "judge_id" not in fit_sentiment(zh, "zh", 7, True, lambda it, d, n: it, LabelAwareJudge({})).arrays
