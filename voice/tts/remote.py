"""Production speech synthesis over HTTP: any server with the OpenAI-compatible `POST /audio/speech` (a neural
TTS on a GPU host), asked for WAV, one sentence at a time; the voice per language is configured."""

from __future__ import annotations

import httpx

from voice.protocols import Speech
from voice.tts.espeak import read_wav


class RemoteTTS:
    def __init__(self, base_url: str, model: str, voices: dict[str, str], *, api_key: str = "none",
                 timeout_s: float = 10.0, client: httpx.Client | None = None) -> None:
        self.url = base_url.rstrip("/") + "/audio/speech"
        self.model = model
        self.voices = voices
        self._client = client or httpx.Client(timeout=timeout_s, headers={"Authorization": f"Bearer {api_key}"})

    def synthesize(self, text: str, language: str) -> Speech:
        body = {"model": self.model, "voice": self.voices.get(language, ""), "input": text, "response_format": "wav"}
        response = self._client.post(self.url, json=body)
        response.raise_for_status()
        return read_wav(response.content)
