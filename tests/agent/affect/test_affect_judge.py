"""The LLM judge stage of sentiment, with a scripted judge: asked only inside its band, only when it is the judge
the stage was trained with, and never in the way (a busy judge leaves the e5 estimate). The bundled model as
the judge: tests/agent/llm/test_local_judge.py; training the stage: tests/agent/training/."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.affect import TextAffect
from agent.affect.model import MODELS_DIR, AffectModelError, SentimentModel, load_npz, save_npz
from tests.fakes import ScriptedJudge, models_with_judge_stage

pytestmark = pytest.mark.unit

UNSURE = "The movie was not bad, but I would not watch it again."
CLEAR = "Absolutely wonderful service, thank you so much!"


def test_judge_is_asked_inside_its_band_and_moves_the_answer(tmp_path: Path) -> None:
    models = models_with_judge_stage(tmp_path, "judge-a", margin=0.5)  # band 0.5: every sentence
    plain = TextAffect(models).sentiment(UNSURE, "en")
    judge = ScriptedJudge("judge-a", answer=8.0)
    judged = TextAffect(models, judge=judge).sentiment(UNSURE, "en")
    assert judge.asked == [UNSURE]
    assert judged > plain and judged > 0.9  # a confident judge outweighs an unsure stack


def test_confident_sentences_never_reach_the_judge(tmp_path: Path) -> None:
    models = models_with_judge_stage(tmp_path, "judge-a", margin=0.2)
    judge = ScriptedJudge("judge-a", answer=-8.0)
    reader = TextAffect(models, judge=judge)
    p = reader.sentiment(CLEAR, "en")
    assert judge.asked == [] and p > 0.9


def test_turns_ask_the_judge_only_where_it_can_move_escalation(tmp_path: Path) -> None:
    models = models_with_judge_stage(tmp_path, "judge-a", margin=0.5)
    judge = ScriptedJudge("judge-a", answer=-8.0)
    reader = TextAffect(models, judge=judge)
    happy = reader.analyze(CLEAR, "en")
    assert happy.label == "satisfaction" and judge.asked == []  # its score stays positive anyway
    angry_text = "This is unacceptable, my order is late AGAIN and nobody answers!"
    without = TextAffect(models).analyze(angry_text, "en")
    angry = reader.analyze(angry_text, "en")
    assert angry.label in {"anger", "disappointment", "anxiety"} and judge.asked == [angry_text]
    assert angry.score <= without.score  # the judge's "negative" can only deepen it
    assert reader.analyze("Where is my order 1234?", "en").label == "neutral" and len(judge.asked) == 1


def test_a_different_judge_is_not_read(tmp_path: Path) -> None:
    models = models_with_judge_stage(tmp_path, "judge-a", margin=0.5)
    other = ScriptedJudge("judge-b", answer=8.0)
    reader = TextAffect(models, judge=other)
    assert reader.sentiment(UNSURE, "en") == TextAffect(models).sentiment(UNSURE, "en")
    assert other.asked == [] and not reader.judge_active("en")
    # Chinese carries no judge stage: the judge is never asked about it
    assert not TextAffect(models, judge=ScriptedJudge("judge-a")).judge_active("zh")


def test_a_busy_judge_leaves_the_e5_estimate(tmp_path: Path) -> None:
    models = models_with_judge_stage(tmp_path, "judge-a", margin=0.5)
    busy = ScriptedJudge("judge-a", answer=None)
    assert TextAffect(models, judge=busy).sentiment(UNSURE, "en") == TextAffect(models).sentiment(UNSURE, "en")
    assert busy.asked == [UNSURE]


def test_incomplete_judge_stage_names_the_rebuild_command(tmp_path: Path) -> None:
    arrays = load_npz(MODELS_DIR / "affect_en.npz", "sentiment", ())
    arrays = {k: v for k, v in arrays.items() if not k.startswith("judge_")}
    save_npz(tmp_path / "old.npz", arrays)
    assert SentimentModel.load(tmp_path / "old.npz").judge_id == ""  # files from before the stage still load
    arrays |= {"judge_id": np.array("x"), "judge_coef": np.array([1.0])}
    save_npz(tmp_path / "bad.npz", arrays)
    with pytest.raises(AffectModelError, match="kefu train affect"):
        SentimentModel.load(tmp_path / "bad.npz")
