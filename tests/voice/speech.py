"""Real speech for the voice tests: a caller's words made with the bundled voices, the phone line they go through,
a telephony provider's end of the socket, and how much of a reply Whisper recovers from its audio.

`caller_audio(text, lang)`: 8 kHz int16 speech (English: the bundled Piper voice; Chinese: the neural Mandarin
voice, or espeak-ng where it is not installed). `phone(x)`:
through μ-law and back at 16 kHz, as a recogniser gets it. `recovered(reference, heard, lang)`: the share of the
reference's words (en) or characters (zh) found, in order, in what was heard (ids and numbers compared digit by
digit, English number words read as digits).
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import cache

import numpy as np

from voice.codecs import ulaw_decode, ulaw_encode
from voice.protocols import TTS
from voice.resample import resample, to_int16
from voice.text import speakable

_NUMBER_WORDS = {"zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
                 "seven": "7", "eight": "8", "nine": "9"}
_ZH_DIGITS = dict(zip("零幺一二两三四五六七八九〇", "01122345678 90".replace(" ", ""), strict=False))


@cache
def voices() -> dict[str, TTS]:
    from voice.tts import EspeakTTS, FastSpeechZhTTS, PiperTTS

    zh = FastSpeechZhTTS()
    return {"en": PiperTTS(), "zh": zh if zh.available() else EspeakTTS()}


def caller_audio(text: str, language: str) -> np.ndarray:
    """`text` said by the caller, 8 kHz int16 (what a phone sends, before μ-law)."""
    speech = voices()[language].synthesize(speakable(text, language), language)
    return to_int16(resample(speech.pcm, speech.sample_rate, 8000))


def phone(pcm8k: np.ndarray) -> np.ndarray:
    """8 kHz int16 through the μ-law line, float32 at 16 kHz."""
    return resample(ulaw_decode(ulaw_encode(pcm8k)), 8000, 16000)


def tokens(text: str, language: str) -> list[str]:
    text = text.lower()
    if language == "zh":
        text = "".join(_ZH_DIGITS.get(c, c) for c in text)
        return [c for c in text if c.isalnum()]
    text = re.sub(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", lambda m: _NUMBER_WORDS[m.group(1)], text)
    text = re.sub(r"\b(jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", r"\1", text)  # December is Dec
    text = re.sub(r"\b(\w+)tre\b", r"\1ter", text).replace("lling", "ling")  # British and American spellings
    # an id's letters one by one ("kf-100…" and "k f 1 0 0…" alike)
    text = re.sub(r"\b([a-z]{1,4})[-.]?(?=\d)", lambda m: " ".join(m.group(1)) + " ", text)
    return re.findall(r"[a-z]+|\d", text)


def recovered(reference: str, heard: str, language: str) -> float:
    ref, got = tokens(reference, language), tokens(heard, language)
    if not ref:
        return 1.0
    matched = sum(b.size for b in SequenceMatcher(None, ref, got, autojunk=False).get_matching_blocks())
    return matched / len(ref)
