"""What the customer asks: intents (trained classifier over the intent taxonomy) and slots.

`NLU.parse(text)` gives an `NLUResult` (agent-level intent, calibrated confidence, the finer label, slots);
`RuleNLU` is the hand-written reader kept as the measured baseline.
"""

from agent.nlu.reader import INTENTS, NLU, RuleNLU, split_clauses
from agent.protocols import NLUReader, NLUResult

__all__ = ["INTENTS", "NLU", "NLUReader", "NLUResult", "RuleNLU", "split_clauses"]
