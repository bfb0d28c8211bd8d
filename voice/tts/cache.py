"""Sentences said before are not synthesised again: a call's first audio waits for a synthesis of its reply's first
clause (a few hundred ms on a shared CPU), and template replies repeat their sentences across calls ("Which order is
it?", "请问是哪个订单？"). The bundled voices are deterministic (Piper without sampling noise, espeak-ng, the
Mandarin FastSpeech2), so the cached audio is what a new synthesis would give.

Per process, least recently used out first; `max_seconds` of audio at most (22.05 kHz int16: ~44 kB a second).
Sentences with an order id or an amount rarely repeat: they pass through and push out nothing they did not earn.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from voice.protocols import TTS, Speech


class CachedTTS:
    def __init__(self, inner: TTS, *, max_seconds: float = 600.0) -> None:
        self.inner = inner
        self.max_seconds = max_seconds
        self._cache: OrderedDict[tuple[str, str], Speech] = OrderedDict()
        self._seconds = 0.0
        self._lock = Lock()  # calls synthesise in threads
        self.hits = 0
        self.misses = 0

    def synthesize(self, text: str, language: str) -> Speech:
        key = (language, text)
        with self._lock:
            speech = self._cache.get(key)
            if speech is not None:
                self._cache.move_to_end(key)
                self.hits += 1
                return speech
            self.misses += 1
        speech = self.inner.synthesize(text, language)  # outside the lock: two calls synthesise at once
        speech.pcm.flags.writeable = False  # shared by every call that says it
        with self._lock:
            if key not in self._cache and speech.seconds <= self.max_seconds:
                self._cache[key] = speech
                self._seconds += speech.seconds
                while self._seconds > self.max_seconds:
                    _, old = self._cache.popitem(last=False)
                    self._seconds -= old.seconds
        return speech

    def warm_up(self) -> None:
        warm = getattr(self.inner, "warm_up", None)
        if callable(warm):
            warm()
