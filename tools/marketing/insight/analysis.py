"""One text's insight: its language, sentiment, emotion and need tags, as `kefu analyze` prints it a line each.

The affect reader is passed in (`agent.affect.TextAffect` in the service and the CLI, anything with its `read`
in tests); the language is the caller's when it knows it, else detected the way the turn detects it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from agent.language import detect_language
from agent.protocols import Affect
from tools.marketing.insight.needs import NeedTag, NeedTagger, shared_tagger


class SentimentReader(Protocol):
    def read(self, text: str, language: str) -> tuple[Affect, float]: ...


@dataclass(frozen=True, slots=True)
class TextInsight:
    language: str
    positive: float  # probability that the text is positive
    affect: Affect
    needs: list[NeedTag] = field(default_factory=list)

    @property
    def sentiment(self) -> str:
        return "positive" if self.positive >= 0.5 else "negative"

    def as_dict(self) -> dict[str, Any]:
        """The JSON line: sentiment's probability is that of its label (≥ 0.5)."""
        prob = self.positive if self.positive >= 0.5 else 1.0 - self.positive
        return {
            "language": self.language,
            "sentiment": {"label": self.sentiment, "probability": round(prob, 4)},
            "affect": {"emotion": self.affect.label, "score": self.affect.score, "intensity": self.affect.intensity},
            "needs": [n.as_dict() for n in self.needs],
        }


def analyze_text(text: str, reader: SentimentReader, *, language: str | None = None,
                 tagger: NeedTagger | None = None) -> TextInsight:
    lang = language if language in ("zh", "en") else detect_language(text, default="zh")
    affect, positive = reader.read(text, lang)
    return TextInsight(lang, positive, affect, (tagger or shared_tagger()).tag(text, lang))
