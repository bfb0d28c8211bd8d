"""Fusing what the words say with how they were said (a voice channel's speech-emotion reading).

Late fusion of two independent readings: each side's label votes with its confidence, the speech side
weighted by `SPEECH_WEIGHT` (a transcript loses tone, but ASR errors and a short utterance make speech
emotion noisy too). Valence is the weighted mean; intensity keeps the stronger reading, because an angry
voice saying polite words is still an angry caller.
"""

from __future__ import annotations

from typing import Any

from agent.protocols import AFFECT_LABELS as LABELS
from agent.protocols import Affect

SPEECH_WEIGHT = 0.5  # the speech reading's share when both are equally confident
# The text side's confidence in its label, read off its intensity (a neutral text reading is weakly held).
_NEUTRAL_TEXT_CONFIDENCE = 0.5


def fuse(text: Affect, speech: Any) -> Affect:
    """The fused affect of one utterance; `speech` has `emotion`, `valence` and `confidence` (pipeline
    `SpeechCues`). A speech reading without a known label or confidence leaves the text's affect."""
    emotion = getattr(speech, "emotion", None)
    confidence = float(getattr(speech, "confidence", 0.0) or 0.0)
    if emotion not in LABELS or confidence <= 0.0:
        return text
    text_conf = _NEUTRAL_TEXT_CONFIDENCE if text.label == "neutral" else max(0.3, text.intensity)
    w_speech = SPEECH_WEIGHT * confidence
    w_text = (1.0 - SPEECH_WEIGHT) * text_conf
    share = w_speech / (w_speech + w_text)
    label = emotion if share >= 0.5 else text.label
    speech_valence = getattr(speech, "valence", None)
    if speech_valence is None:
        speech_valence = text.score
    score = (1.0 - share) * text.score + share * max(-1.0, min(1.0, float(speech_valence)))
    if label in ("anger", "anxiety", "disappointment"):
        score = min(score, -0.15)
    elif label == "satisfaction":
        score = max(score, 0.15)
    intensity = max(text.intensity, confidence if emotion != "neutral" else 0.0)
    return Affect(label, round(score, 3), round(min(1.0, intensity), 3))
