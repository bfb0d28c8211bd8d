"""How the voice's emotion becomes the customer's affect: the classifier's reading, its weights file, and the fusion
with the words; and a caller who sounds angry is escalated as one who writes angry words is."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.affect import Affect, AffectModelError
from agent.affect.fusion import fuse
from agent.affect.speech import SER_CLASSES, SpeechEmotionWeights, reading
from agent.events import AffectObserved, HandoffRequested
from agent.pipeline import SpeechCues, TurnInput
from tests.fakes import make_agent
from tests.fakes.affect import FakeAffect
from tests.fakes.nlu import FakeNLU

pytestmark = pytest.mark.unit

NEUTRAL_TEXT = Affect("neutral", 0.0, 0.0)


def probs(**p: float) -> np.ndarray:
    return np.array([p.get(k, 0.0) for k in SER_CLASSES])


def test_the_models_classes_read_as_a_customers_affect() -> None:
    angry = reading(probs(angry=0.8, neutral=0.2))
    assert (angry.emotion, angry.heard, angry.confidence) == ("anger", "angry", 0.8) and angry.valence < -0.5
    assert reading(probs(happy=0.7, neutral=0.3)).emotion == "satisfaction"
    assert reading(probs(sad=0.6, neutral=0.4)).emotion == "disappointment"
    calm = reading(probs(neutral=0.9, happy=0.1))
    assert calm.emotion == "neutral" and abs(calm.valence) < 0.1


def test_an_angry_voice_over_calm_words_is_anger_and_a_faint_one_is_not() -> None:
    loud = fuse(NEUTRAL_TEXT, SpeechCues(emotion="anger", valence=-0.7, confidence=0.85))
    assert loud.label == "anger" and loud.score < -0.15 and loud.intensity == 0.85
    faint = fuse(NEUTRAL_TEXT, SpeechCues(emotion="anger", valence=-0.7, confidence=0.3))
    assert faint.label == "neutral"
    # angry words keep their label even when the voice sounds calm, and their intensity is not lowered
    words = Affect("anger", -0.8, 0.8)
    calm_voice = fuse(words, SpeechCues(emotion="neutral", valence=0.0, confidence=0.6))
    assert calm_voice.label == "anger" and calm_voice.intensity == 0.8 and calm_voice.score < -0.15
    # no emotion heard (too short to judge): the words alone
    assert fuse(words, SpeechCues(duration_s=0.2)) is words


def test_weights_round_trip_and_a_damaged_file_is_refused(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    w = SpeechEmotionWeights(rng.normal(size=5), np.ones(5), rng.normal(size=(4, 5)), np.zeros(4), "v-test")
    path = w.save(tmp_path / "ser.npz", {"licence_note": "non-commercial"})
    back = SpeechEmotionWeights.load(path)
    x = rng.normal(size=(3, 5))
    assert back.feature_version == "v-test" and np.allclose(back.probabilities(x), w.probabilities(x))
    assert np.allclose(back.probabilities(x).sum(axis=1), 1.0)
    with pytest.raises(AffectModelError, match="kefu train ser"):
        SpeechEmotionWeights.load(tmp_path / "missing.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(AffectModelError, match="kefu train ser"):
        SpeechEmotionWeights.load(tmp_path / "bad.npz")


class VoiceAffect(FakeAffect):
    """Keyword text affect, with the real fusion of a voice channel's cues."""

    def fuse(self, text: Affect, speech: object) -> Affect:
        return fuse(text, speech)


async def escalation(turns: list[TurnInput]) -> tuple[list[AffectObserved], list[float], bool]:
    agent = make_agent(nlu=FakeNLU(), affect=VoiceAffect())
    await agent.start("v", channel="voice", customer_id="C1", language="en")
    observed, scores, handed = [], [], False
    for turn in turns:
        result = await agent.handle("v", turn)
        observed += [e for e in result.events if isinstance(e, AffectObserved)]
        scores.append(result.state.escalation_score)
        handed = handed or any(isinstance(e, HandoffRequested) for e in result.events)
    return observed, scores, handed


async def test_anger_in_the_voice_escalates_like_anger_in_words() -> None:
    shouted = TurnInput("I want to know where my parcel is.",
                        speech=SpeechCues(emotion="anger", valence=-0.8, confidence=0.9, duration_s=2.0))
    voice, voice_scores, voice_handoff = await escalation([shouted, shouted])
    written, word_scores, word_handoff = await escalation([TurnInput("This is the worst service.")] * 2)
    _, calm_scores, calm_handoff = await escalation([TurnInput("I want to know where my parcel is.")] * 2)

    assert [(e.source, e.label) for e in voice] == [("fused", "anger")] * 2
    assert [(e.source, e.label) for e in written] == [("text", "anger")] * 2
    assert voice_scores[0] > 0.5 and voice_scores[1] > voice_scores[0]
    assert voice_scores == word_scores  # the same pressure as the angry words
    assert voice_handoff and word_handoff  # anger that persists brings in a person, heard or written
    assert calm_scores == [0.0, 0.0] and not calm_handoff
