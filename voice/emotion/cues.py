"""The call loop's hook: an utterance's audio → its `SpeechCues`, read off the event loop, never failing a turn.

The read runs in a worker thread beside the recogniser (it takes a few ms per second of audio, the recogniser
hundreds), so it adds nothing to the caller's wait. A reader that fails leaves cues without an emotion: the turn
is then understood from its words alone.
"""

from __future__ import annotations

import asyncio
import logging

import numpy as np

from agent.turns import SpeechCues
from voice.protocols import SpeechEmotion

log = logging.getLogger(__name__)


async def hear(emotion: SpeechEmotion | None, audio: np.ndarray, sample_rate: int) -> SpeechCues:
    duration = round(len(audio) / sample_rate, 2) if sample_rate else 0.0
    if emotion is None or len(audio) == 0:
        return SpeechCues(duration_s=duration)
    try:
        cues = await asyncio.to_thread(emotion.read, audio, sample_rate)
    except Exception as exc:  # a broken reader must not cost the caller the turn
        log.warning("speech emotion failed (%s): the turn goes on without it", type(exc).__name__)
        return SpeechCues(duration_s=duration)
    return cues if cues.duration_s is not None else SpeechCues(cues.emotion, cues.valence, cues.confidence, duration)
