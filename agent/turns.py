"""What a channel hands the agent for one turn: the text and, when it was spoken, the speech cues.

Its own small module (re-exported by `agent.pipeline`) so that channel packages such as `voice/` can build turns
without importing the pipeline and everything it wires.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SpeechCues:
    """What a voice channel heard besides the words: the speech-emotion model's reading of the utterance."""

    emotion: str | None = None  # one of agent.affect.LABELS
    valence: float | None = None  # [-1, 1]
    confidence: float = 0.0  # [0, 1]
    duration_s: float | None = None


@dataclass(frozen=True, slots=True)
class TurnInput:
    """One customer utterance as a channel hands it over: the text (typed, or the ASR transcript), the
    client's message id (a retried send is answered once), and speech cues when it was spoken."""

    text: str
    client_msg_id: str | None = None
    speech: SpeechCues | None = None
