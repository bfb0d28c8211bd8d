"""How the customer feels: text sentiment and customer-service emotion, their trained models and cues.

`TextAffect.analyze(text, language)` gives an `Affect` (label, valence score, intensity) for one message;
`TextAffect.read` gives it with the probability that the text is positive (`kefu analyze`).
The models are trained by `agent.training.affect` and load lazily, once per process.
"""

from agent.affect.analyzer import LABELS, Affect, TextAffect
from agent.affect.model import AffectModelError

__all__ = ["LABELS", "Affect", "AffectModelError", "TextAffect"]
