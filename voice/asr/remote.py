"""Production speech recognition over HTTP: any server with the OpenAI-compatible `POST /audio/transcriptions`
(faster-whisper or vLLM serving a Whisper model on a GPU host). The utterance goes as a 16 kHz WAV."""

from __future__ import annotations

import io
import time
import wave
from collections.abc import Mapping

import httpx
import numpy as np

from voice.asr.whisper import PROMPTS
from voice.protocols import Transcript
from voice.resample import to_int16


def wav_bytes(pcm: np.ndarray, sample_rate: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(np.asarray(pcm, dtype=np.int16).tobytes())
    return buf.getvalue()


class RemoteASR:
    def __init__(self, base_url: str, model: str, *, api_key: str = "none", timeout_s: float = 10.0,
                 client: httpx.Client | None = None, prompts: Mapping[str, str] | None = None) -> None:
        self.prompts = {**PROMPTS, **(prompts or {})}  # as the bundled recogniser's (voice/asr/whisper.py)
        self.url = base_url.rstrip("/") + "/audio/transcriptions"
        self.model = model
        self._client = client or httpx.Client(timeout=timeout_s, headers={"Authorization": f"Bearer {api_key}"})

    def transcribe(self, audio: np.ndarray, language: str | None) -> Transcript:
        started = time.perf_counter()
        data = {"model": self.model, "response_format": "json", "temperature": "0"}
        if language:
            data["language"] = language
        if language and self.prompts.get(language):
            data["prompt"] = self.prompts[language]
        files = {"file": ("utterance.wav", wav_bytes(to_int16(audio), 16000), "audio/wav")}
        response = self._client.post(self.url, data=data, files=files)
        response.raise_for_status()
        body = response.json()
        heard = str(body.get("language") or language or "zh").lower()
        lang = "en" if heard in ("en", "english") else "zh"
        return Transcript(str(body.get("text", "")).strip(), lang, len(audio) / 16000, time.perf_counter() - started)
