"""Affect without the trained models, and a scripted sentiment judge for the judge stage."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from agent.affect import Affect
from agent.affect.model import MODELS_DIR, load_npz, save_npz

NEUTRAL = Affect("neutral", 0.0, 0.0)
# keyword -> what a customer using it feels; the first keyword found in the lower-cased text wins
AFFECT_KEYWORDS: dict[str, Affect] = {
    "气死": Affect("anger", -0.9, 0.9),
    "垃圾": Affect("anger", -0.9, 0.9),
    "太差": Affect("anger", -0.8, 0.8),
    "ridiculous": Affect("anger", -0.8, 0.8),
    "worst": Affect("anger", -0.9, 0.9),
    "很急": Affect("anxiety", -0.5, 0.7),
    "hurry": Affect("anxiety", -0.5, 0.7),
    "失望": Affect("disappointment", -0.6, 0.6),
    "disappointed": Affect("disappointment", -0.6, 0.6),
    "谢谢": Affect("satisfaction", 0.8, 0.6),
    "thanks": Affect("satisfaction", 0.8, 0.6),
}


class FakeAffect:
    """Stands in for `agent.affect.TextAffect` in the pipeline: `analyze(text, language)` returns the affect
    of the first keyword of `AFFECT_KEYWORDS` (overridden or extended by `keywords`) found in the text, else
    neutral. Every call is kept in `calls` as (text, language)."""

    def __init__(self, keywords: Mapping[str, Affect] | None = None) -> None:
        self.keywords = {**AFFECT_KEYWORDS, **(keywords or {})}
        self.calls: list[tuple[str, str]] = []

    def analyze(self, text: str, language: str) -> Affect:
        self.calls.append((text, language))
        lowered = text.lower()
        return next((a for word, a in self.keywords.items() if word in lowered), NEUTRAL)

    def warm_up(self) -> None:
        pass


class ScriptedJudge:
    """A `SentimentJudge` that answers a fixed logit (None: busy) and records what it was asked."""

    def __init__(self, judge_id: str, answer: float | None = 6.0) -> None:
        self.judge_id = judge_id
        self.answer = answer
        self.asked: list[str] = []

    def logit(self, text: str) -> float | None:
        self.asked.append(text)
        return self.answer

    def judge_many(self, texts: list[str]) -> list[float]:
        return [float(self.answer or 0.0) for _ in texts]


def models_with_judge_stage(directory: Path, judge_id: str, margin: float) -> Path:
    """A copy of the shipped affect models in `directory` whose English file has a judge stage for `judge_id`
    (asked when the sentiment is within `margin` of 0.5)."""
    for name in ("affect_zh.npz", "affect_en.npz", "emotion.npz"):
        (directory / name).write_bytes((MODELS_DIR / name).read_bytes())
    arrays = load_npz(MODELS_DIR / "affect_en.npz", "sentiment", ())
    arrays |= {
        "judge_id": np.array(judge_id),
        "judge_coef": np.array([1.0, 1.0]),
        "judge_bias": np.array(0.0),
        "judge_margin": np.array(margin),
    }
    save_npz(directory / "affect_en.npz", arrays)
    return directory
