"""Admission of customer turns in one worker: a bounded number run, a bounded number wait, the rest are `busy`.

Why: under overload, turns that queue without limit make every customer wait minutes and sockets time out, so
nobody is served well. A turn that cannot start (all `in_flight` slots taken and `queued` turns already waiting,
or no slot freed within `wait_s`) is refused at once with `TurnsBusy`, before anything is recorded: the client backs
off `retry_after_ms` and sends the same `client_msg_id` again, which is then answered exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from agent.language import detect_language
from server.infra.metrics import TURNS_SHED

BUSY_MESSAGE = {
    "zh": "当前咨询人数较多，您的消息还没有发送成功，请稍后再发一次。",
    "en": "We're very busy right now and your message was not sent yet; please send it again in a moment.",
}


class TurnsBusy(Exception):
    """The turn was not admitted (nothing recorded); send the same message again after `retry_after_ms`."""

    def __init__(self, retry_after_ms: int) -> None:
        super().__init__(f"busy, retry after {retry_after_ms} ms")
        self.retry_after_ms = retry_after_ms

    def message(self, text: str) -> str:
        """The refusal in the language the customer wrote in."""
        return BUSY_MESSAGE[detect_language(text, default="zh")]


class TurnGate:
    """At most `in_flight` turns at once in this worker, at most `queued` more waiting up to `wait_s` each."""

    def __init__(self, in_flight: int, queued: int, wait_s: float, retry_after_ms: int) -> None:
        if in_flight < 1 or queued < 0 or wait_s < 0 or retry_after_ms < 0:
            raise ValueError("a turn gate needs in_flight >= 1 and non-negative queued, wait_s, retry_after_ms")
        self.in_flight, self.queued, self.wait_s, self.retry_after_ms = in_flight, queued, wait_s, retry_after_ms
        self._slots = asyncio.Semaphore(in_flight)
        self.running = 0
        self.waiting = 0
        self.refused = 0  # turns answered `busy`, for metrics and tests

    def _refuse(self) -> TurnsBusy:
        self.refused += 1
        TURNS_SHED.inc()
        return TurnsBusy(self.retry_after_ms)

    @asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        """Hold a slot for the turn's duration; raises `TurnsBusy` (before the body runs) when none comes in time."""
        if self._slots.locked():
            if self.waiting >= self.queued or self.wait_s == 0:
                raise self._refuse()
            self.waiting += 1
            try:
                await asyncio.wait_for(self._slots.acquire(), timeout=self.wait_s)
            except TimeoutError:
                raise self._refuse() from None
            finally:
                self.waiting -= 1
        else:
            await self._slots.acquire()
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1
            self._slots.release()
