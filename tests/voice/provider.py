"""A telephony provider's end of `WS /ws/voice`, as Twilio Media Streams behaves: `connected` and `start`, the
caller's audio as base64 μ-law in 20 ms `media` frames sent in real time, the bot's audio queued and "played" in
real time, each `mark` echoed once the audio before it has played, `clear` empties the queue (and echoes the
marks still waiting, as Twilio does), `dtmf` and `stop`.

`speed` plays the bot's audio that many times faster than real time (the caller's audio is always sent in real
time): a test that only needs to hear a long reply out, not to talk over it, need not wait its whole length.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from websockets.asyncio.client import ClientConnection, connect

from voice.codecs import ulaw_decode, ulaw_encode

FRAME = 160  # 20 ms at 8 kHz


@dataclass
class Heard:
    """What came back: the bot's audio (8 kHz int16) by arrival time, marks, clears, and when."""

    audio: list[tuple[float, np.ndarray]] = field(default_factory=list)
    marks_played: list[tuple[float, str]] = field(default_factory=list)
    clears: list[float] = field(default_factory=list)
    closed: tuple[int, str] | None = None

    def audio_after(self, t: float) -> np.ndarray:
        parts = [a for at, a in self.audio if at >= t]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)


class FakeTwilio:
    def __init__(self, url: str, params: dict[str, str], *, speed: float = 1.0) -> None:
        self.url = url
        self.params = params
        self.speed = speed
        self.stream_sid = "MZ" + uuid.uuid4().hex
        self.heard = Heard()
        self._ws: ClientConnection | None = None
        self._play_until = 0.0  # when the queued bot audio will have played
        self._marks: dict[str, asyncio.Task[None]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._seq = 0
        self.last_audio_at = 0.0

    async def __aenter__(self) -> FakeTwilio:
        self._ws = await connect(self.url, max_size=2**20)
        await self._send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        await self._send({"event": "start", "streamSid": self.stream_sid, "start": {
            "streamSid": self.stream_sid, "callSid": "CA" + uuid.uuid4().hex, "accountSid": "AC0",
            "tracks": ["inbound"], "customParameters": self.params,
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}})
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._marks.values():
            task.cancel()
        assert self._ws is not None
        await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()

    async def _send(self, frame: dict[str, Any]) -> None:
        self._seq += 1
        assert self._ws is not None
        await self._ws.send(json.dumps({**frame, "sequenceNumber": str(self._seq)}))

    async def send_raw(self, text: str) -> None:
        assert self._ws is not None
        await self._ws.send(text)

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for raw in self._ws:
                msg = json.loads(raw)
                now = time.monotonic()
                if msg["event"] == "media":
                    pcm = ulaw_decode(base64.b64decode(msg["media"]["payload"]))
                    self.heard.audio.append((now, pcm))
                    self.last_audio_at = now
                    self._play_until = max(self._play_until, now) + len(pcm) / 8000 / self.speed
                elif msg["event"] == "mark":
                    name = msg["mark"]["name"]
                    self._marks[name] = asyncio.create_task(self._echo(name, self._play_until))
                elif msg["event"] == "clear":
                    self.heard.clears.append(now)
                    self._play_until = now
                    for name, task in list(self._marks.items()):  # Twilio echoes the waiting marks at once
                        if not task.done():
                            task.cancel()
                            self._marks[name] = asyncio.create_task(self._echo(name, now))
        except Exception as exc:  # the server closed the socket
            code = getattr(getattr(exc, "rcvd", None), "code", None)
            self.heard.closed = (code or 0, str(exc))
        else:
            rcvd = self._ws.close_code
            self.heard.closed = (rcvd or 0, self._ws.close_reason or "")

    async def _echo(self, name: str, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        self.heard.marks_played.append((time.monotonic(), name))
        await self._send({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}})

    @property
    def playing(self) -> bool:
        return time.monotonic() < self._play_until or any(not t.done() for t in self._marks.values())

    async def say(self, pcm: np.ndarray) -> tuple[float, float]:
        """Send the caller's audio in real time, 20 ms a frame: (when it started, when it ended)."""
        start = time.monotonic()
        data = ulaw_encode(pcm)
        for i, offset in enumerate(range(0, len(data), FRAME)):
            await self._send({"event": "media", "streamSid": self.stream_sid, "media": {
                "track": "inbound", "chunk": str(i), "timestamp": str(i * 20),
                "payload": base64.b64encode(data[offset:offset + FRAME]).decode("ascii")}})
            await asyncio.sleep(max(0.0, start + (i + 1) * 0.02 - time.monotonic()))
        return start, time.monotonic()

    async def hold(self, seconds: float) -> None:
        """Line silence (μ-law zero) for `seconds`, in real time."""
        await self.say(np.zeros(int(seconds * 8000), dtype=np.int16))

    async def until(self, done: Any, timeout_s: float) -> None:
        """Silence on the line until `done()` is true."""
        deadline = time.monotonic() + timeout_s
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError("the call did not get there in time")
            await self.hold(0.2)

    async def dtmf(self, digit: str) -> None:
        await self._send({"event": "dtmf", "streamSid": self.stream_sid, "dtmf": {"track": "inbound_track",
                                                                                     "digit": digit}})

    async def stop(self) -> None:
        await self._send({"event": "stop", "streamSid": self.stream_sid, "stop": {"accountSid": "AC0"}})
