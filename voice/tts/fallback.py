"""A synthesiser with a spare: a sentence the preferred voice cannot say (not installed, a front end that cannot
read it) is said by the fallback voice rather than left silent."""

from __future__ import annotations

import logging

from voice.protocols import TTS, Speech

log = logging.getLogger(__name__)


class WithFallback:
    def __init__(self, preferred: TTS, fallback: TTS) -> None:
        self.preferred = preferred
        self.fallback = fallback

    def synthesize(self, text: str, language: str) -> Speech:
        try:
            return self.preferred.synthesize(text, language)
        except Exception as exc:  # any failure of the preferred voice: the caller still hears the sentence
            log.warning("%s could not say a sentence (%s); %s says it", type(self.preferred).__name__,
                        type(exc).__name__, type(self.fallback).__name__)
            return self.fallback.synthesize(text, language)

    def warm_up(self) -> None:
        for tts in (self.preferred, self.fallback):
            warm = getattr(tts, "warm_up", None)
            if callable(warm):
                try:
                    warm()
                except Exception:
                    log.warning("%s did not warm up", type(tts).__name__, exc_info=True)
