"""Speech synthesis: Piper with the bundled English voice, a neural Mandarin voice (FastSpeech2 on LiteRT),
espeak-ng (zh via pinyin, en), an OpenAI-compatible server for production, `ByLanguage`, which picks one per reply
language, and `WithFallback`, which lets espeak-ng say what the preferred voice cannot."""

from __future__ import annotations

from collections.abc import Mapping

from voice.protocols import TTS, Speech
from voice.tts.espeak import EspeakError, EspeakTTS
from voice.tts.fallback import WithFallback
from voice.tts.fastspeech_zh import FastSpeechZhError, FastSpeechZhTTS
from voice.tts.piper import PiperTTS
from voice.tts.remote import RemoteTTS


class ByLanguage:
    """One synthesiser per language (zh, en); an unknown language gets the first one's."""

    def __init__(self, voices: Mapping[str, TTS]) -> None:
        if not voices:
            raise ValueError("no synthesiser configured")
        self.voices = dict(voices)

    def synthesize(self, text: str, language: str) -> Speech:
        tts = self.voices.get(language) or next(iter(self.voices.values()))
        return tts.synthesize(text, language)

    def warm_up(self) -> None:
        for tts in self.voices.values():
            warm = getattr(tts, "warm_up", None)
            if callable(warm):
                warm()


__all__ = ["ByLanguage", "EspeakError", "EspeakTTS", "FastSpeechZhError", "FastSpeechZhTTS", "PiperTTS", "RemoteTTS",
           "WithFallback"]
