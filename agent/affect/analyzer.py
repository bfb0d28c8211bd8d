"""Text affect: trained zh/en sentiment and customer-service emotion models (see `agent.training.affect`).

`TextAffect.analyze(text, language)` gives the public triple: a label (anger, anxiety, disappointment,
neutral, satisfaction) from the emotion classifier, a valence `score` in [-1, 1] and an `intensity` in
[0, 1]. The label decides the sign of the score (sarcastic praise labelled anger reads negative) unless the
sentiment is sure of the other sign (a clearly negative review read as neutral is negative; see `_affect`); the
sentiment probability sets how far it goes. A neutral turn keeps |score| small, because plain questions
are not complaints. Weights load once per process, lazily and thread-safely; a missing or damaged file
raises `AffectModelError` naming `kefu train affect`.

A sentence whose label is not neutral and whose fast sentiment is uncertain is refined with the bundled
e5 embedding (~10-20 ms; off with `refine=False`): most English sentences, ~1 in 10 Chinese ones (the
band of each language is chosen in training). What is still uncertain after that is put to an LLM judge
when one is attached (`judge=`; ~0.5 s, English only for now, and only the judge its stage was trained
with); a busy or failing judge leaves the e5 estimate in place.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.affect.cues import emphasis
from agent.affect.features import ngrams
from agent.affect.fusion import fuse
from agent.affect.model import MODELS_DIR, AffectModelError, EmotionModel, SentimentModel
from agent.e5 import shared_e5
from agent.ngrams import Hashed, hashes
from agent.protocols import AFFECT_LABELS, Affect, SentimentJudge

LABELS = AFFECT_LABELS
# Where each emotion sits on the valence axis: how negative anger is compared with anxiety, etc.
_VALENCE = {"anger": -1.0, "anxiety": -0.5, "disappointment": -0.7, "neutral": 0.0, "satisfaction": 0.9}
# Sentiment probabilities past which a neutral or satisfied turn takes the sentiment's sign: odds of 3 to 1 (its
# agreement with the labelled reviews is measured by `agent.training.affect_eval.evaluate_sign`).
SURE_NEGATIVE = 0.25
SURE_POSITIVE = 0.75
# Past this, an anxious or disappointed reading of a text the sentiment holds clearly positive is a mixed review:
# positive valence. Anger keeps its negative sign whatever the sentiment (sarcastic praise; it goes to a person).
POSITIVE_DESPITE_LABEL = 0.85

__all__ = ["LABELS", "Affect", "AffectModelError", "TextAffect"]


@dataclass(frozen=True, slots=True)
class _Models:
    sentiment: dict[str, SentimentModel]
    emotion: EmotionModel
    vader: Any


class TextAffect:
    """Reads one utterance's affect. Thread-safe; loads its weights on first use (or `warm_up`)."""

    def __init__(
        self, models_dir: Path | None = None, *, refine: bool = True, judge: SentimentJudge | None = None
    ) -> None:
        self.models_dir = models_dir or MODELS_DIR
        self.refine = refine
        self.judge = judge
        self._lock = threading.Lock()
        self._models: _Models | None = None
        self._e5 = shared_e5()  # the process's one e5 (see agent.e5)

    def warm_up(self) -> None:
        """Load the weights (and e5, when refining) now rather than on the first customer's turn."""
        self.analyze("好的，谢谢", "zh")
        self.analyze("ok thanks", "en")
        if self.refine and any(m.can_refine for m in self._load().sentiment.values()):
            self._e5.encode("warm up")
        warm = getattr(self.judge, "warm_up", None)
        if self.refine and callable(warm) and self.judge_active("en"):
            warm()

    def judge_active(self, language: str) -> bool:
        """Is an attached judge the one `language`'s model was trained with?"""
        model = self._load().sentiment["zh" if language == "zh" else "en"]
        return self.judge is not None and model.can_judge(self.judge.judge_id)

    def _load(self) -> _Models:
        models = self._models
        if models is None:
            with self._lock:
                if self._models is None:
                    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                    sentiment = {lang: SentimentModel.load(self.models_dir / f"affect_{lang}.npz")
                                 for lang in ("zh", "en")}
                    emotion = EmotionModel.load(self.models_dir / "emotion.npz")
                    if set(emotion.labels) != set(LABELS):
                        raise AffectModelError(f"emotion model labels {emotion.labels} are not {LABELS}; "
                                               "rebuild it with `kefu train affect`")
                    self._models = _Models(sentiment, emotion, SentimentIntensityAnalyzer())
                models = self._models
        return models

    def sentiment(self, text: str, language: str, *, refine: bool | None = None) -> float:
        """Probability that `text` is positive (the binary sentiment task the models are measured on)."""
        m = self._load()
        lang = "zh" if language == "zh" else "en"
        model = m.sentiment[lang]
        inputs = model.stack_inputs(text, m.vader.polarity_scores(text) if model.uses_vader else None)
        p = model.fast_probability(inputs)
        if self.refine if refine is None else refine:
            p = self._refine(model, text, inputs, p)
        return p

    def _refine(self, model: SentimentModel, text: str, inputs: Any, p: float, *, ask_judge: bool = True) -> float:
        """The slower stages, each only where the one before is unsure: e5, then the judge."""
        if model.uncertain(p):
            p = model.refined_probability(inputs, self._e5.encode(model.e5_text(text)))
        judge = self.judge
        if ask_judge and judge is not None and model.judge_uncertain(p, judge.judge_id):
            z = judge.logit(text)
            if z is not None:
                p = model.judged_probability(p, z)
        return p

    def emotion_probabilities(self, text: str, language: str) -> dict[str, float]:
        probs, _, _, _ = self._perceive(text, language)
        return probs

    def _perceive(self, text: str, language: str) -> tuple[dict[str, float], float, Any, Any]:
        m = self._load()
        lang = "zh" if language == "zh" else "en"
        model = m.sentiment[lang]
        vader = m.vader.polarity_scores(text) if lang == "en" else None
        hashed = Hashed(hashes(ngrams(text, lang)))  # the same n-grams for both models (their sizes differ)
        inputs = model.stack_inputs(text, vader, hashed if model.language == lang else None)
        p = model.fast_probability(inputs)
        logit = math.log(max(p, 1e-6) / max(1 - p, 1e-6))
        raw = m.emotion.probabilities(text, lang, logit, vader["compound"] if vader else 0.0, hashed)
        return dict(zip(m.emotion.labels, (float(x) for x in raw), strict=True)), p, inputs, model

    def fuse(self, text: Affect, speech: Any) -> Affect:
        """The text's affect combined with a voice channel's speech-emotion reading (`agent.affect.fusion`)."""
        return fuse(text, speech)

    def analyze(self, text: str, language: str) -> Affect:
        return self.read(text, language, sentiment=False)[0]

    def read(self, text: str, language: str, *, sentiment: bool = True) -> tuple[Affect, float]:
        """The affect of `text` and the probability that it is positive. With `sentiment`, the probability is
        refined wherever it is unsure (as `sentiment()` refines it); without, only where the label needs it (the
        turn's budget: a neutral or satisfied turn never waits for e5 or the judge)."""
        if not text.strip():
            return Affect("neutral", 0.0, 0.0), 0.5
        probs, p, inputs, model = self._perceive(text, language)
        label = self._load().emotion.label(probs)
        if self.refine and (sentiment or label != "neutral" or p < 0.5):
            # A neutral turn that leans negative may be a complaint in plain words: its sign is worth e5's
            # ~10-20 ms. Only a negative label is worth the judge's ~0.5 s (it adds escalation pressure).
            p = self._refine(model, text, inputs, p, ask_judge=sentiment or _VALENCE[label] < 0)
        return _affect(text, label, probs, p), p


def _affect(text: str, label: str, probs: dict[str, float], p: float) -> Affect:
    """Label, valence and intensity from the emotion probabilities and the sentiment probability `p`.

    The score keeps the sentiment's sign where the sentiment is sure (`SURE_NEGATIVE`, `SURE_POSITIVE`): a
    clearly negative review the emotion model reads as neutral or satisfied is still negative valence (the
    satisfied label is then dropped for neutral: the two readings contradict each other). An anxious or
    disappointed reading of a clearly positive text keeps its label and takes a small positive score
    (`POSITIVE_DESPITE_LABEL`); anger stays negative whatever the sentiment, as sarcastic praise does."""
    valence = 2.0 * p - 1.0
    if label == "satisfaction" and p <= SURE_NEGATIVE:
        label = "neutral"
    conf = probs[label]
    if label == "neutral":
        lean = sum(probs[k] * v for k, v in _VALENCE.items())
        score = max(-0.2, min(0.2, 0.3 * lean + 0.1 * valence))
        if p <= SURE_NEGATIVE or p >= SURE_POSITIVE:
            # the sentiment's sign, a small step (a neutral turn is no complaint), more the surer it is
            score = math.copysign(max(abs(score) if score * valence > 0 else 0.0, min(0.2, 0.25 * abs(valence))),
                                  valence)
        return Affect(label, round(score, 3), round(0.3 * (1.0 - conf), 3))
    sign = _VALENCE[label]
    score = 0.7 * sign * (0.45 + 0.55 * conf) + 0.3 * valence
    score = min(score, -0.15) if sign < 0 else max(score, 0.15)
    agrees = max(0.0, -valence if sign < 0 else valence)
    intensity = 0.3 + 0.4 * conf + 0.3 * emphasis(text) + 0.1 * agrees
    if sign < 0 and label != "anger" and p >= POSITIVE_DESPITE_LABEL:
        # a warm review with one complaint in it ("房间很大，就是早餐一般"): the label keeps the complaint (and the
        # empathy it calls for), the valence the review's sign, small
        score = 0.25 * valence
    return Affect(label, round(max(-1.0, min(1.0, score)), 3), round(min(1.0, intensity), 3))
