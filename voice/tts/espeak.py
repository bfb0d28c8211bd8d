"""Speech synthesis with Debian's espeak-ng (GPL-3, run as a subprocess, so nothing of it links into Kefu).

English uses `en-us`. Mandarin uses `cmn-latn-pinyin` fed with pinyin and tone numbers (pypinyin): espeak-ng's
own reading of Chinese characters is unintelligible, and plain `cmn` reads tone digits aloud. A formant voice:
robotic, but always there (`apt-get install espeak-ng`).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave

import numpy as np

from voice.protocols import Speech

VOICES = {"en": "en-us", "zh": "cmn-latn-pinyin"}


class EspeakError(RuntimeError):
    pass


def to_pinyin(text: str) -> str:
    """Chinese characters → pinyin syllables with tone numbers (neutral tone 5); other text kept as it is."""
    from pypinyin import Style, lazy_pinyin

    return " ".join(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True))


def read_wav(data: bytes) -> Speech:
    with wave.open(io.BytesIO(data)) as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise EspeakError("expected 16-bit mono WAV")
        return Speech(np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).copy(), w.getframerate())


class EspeakTTS:
    def __init__(self, *, binary: str = "espeak-ng", words_per_minute: int = 165, timeout_s: float = 20.0) -> None:
        self.binary = shutil.which(binary) or binary
        self.words_per_minute = words_per_minute
        self.timeout_s = timeout_s

    def available(self) -> bool:
        return shutil.which(self.binary) is not None

    def synthesize(self, text: str, language: str) -> Speech:
        voice = VOICES.get(language, VOICES["en"])
        said = to_pinyin(text) if voice == "cmn-latn-pinyin" else text
        try:
            done = subprocess.run([self.binary, "-v", voice, "-s", str(self.words_per_minute), "--stdout", said],
                                  capture_output=True, timeout=self.timeout_s, check=True)
        except FileNotFoundError as exc:
            raise EspeakError("espeak-ng is not installed (apt-get install espeak-ng)") from exc
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise EspeakError(f"espeak-ng failed: {exc}") from exc
        return read_wav(done.stdout)
