"""Speech synthesis: Piper with the bundled English voice, a neural Mandarin voice (FastSpeech2 on LiteRT),
espeak-ng (zh via pinyin, en), an OpenAI-compatible server for production, `ByLanguage`, which picks one per reply
language (remembering sentences said before, `CachedTTS`), and `WithFallback`, which lets espeak-ng say what the
preferred voice cannot."""

from __future__ import annotations

from collections.abc import Mapping

from voice.protocols import TTS, Speech
from voice.tts.cache import CachedTTS
from voice.tts.espeak import EspeakError, EspeakTTS
from voice.tts.fallback import WithFallback
from voice.tts.fastspeech_zh import FastSpeechZhError, FastSpeechZhTTS
from voice.tts.piper import PiperTTS
from voice.tts.remote import RemoteTTS


class ByLanguage:
    """One synthesiser per language (zh, en); an unknown language gets the first one's. Each keeps the audio of
    up to `cache_s` seconds of sentences it said (`CachedTTS`; 0: none): template sentences repeat across calls."""

    def __init__(self, voices: Mapping[str, TTS], *, cache_s: float = 600.0) -> None:
        if not voices:
            raise ValueError("no synthesiser configured")
        cached: dict[int, TTS] = {}  # one cache per voice, however many languages it serves
        self.voices = {
            lang: cached.setdefault(id(tts), CachedTTS(tts, max_seconds=cache_s) if cache_s > 0 else tts)
            for lang, tts in voices.items()
        }

    def synthesize(self, text: str, language: str) -> Speech:
        tts = self.voices.get(language) or next(iter(self.voices.values()))
        return tts.synthesize(text, language)

    def warm_up(self) -> None:
        for tts in self.voices.values():
            warm = getattr(tts, "warm_up", None)
            if callable(warm):
                warm()


__all__ = ["ByLanguage", "CachedTTS", "EspeakError", "EspeakTTS", "FastSpeechZhError", "FastSpeechZhTTS", "PiperTTS",
           "RemoteTTS", "WithFallback"]
