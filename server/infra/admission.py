"""Admission of customer turns in one worker: a bounded number run, a bounded number wait, the rest are `busy`.

Why: under overload, turns that queue without limit make every customer wait minutes and sockets time out, so
nobody is served well. A turn that cannot start (all `in_flight` slots taken and `queued` turns already waiting,
or no slot freed within `wait_s`) is refused at once with `TurnsBusy`, before anything is recorded: the client backs
off `retry_after_ms` and sends the same `client_msg_id` again, which is then answered exactly once.

The back-off asked for adapts: while refusals outnumber admitted turns (thousands of sockets each resending a shed
message every second or so), every refusal costs the worker a frame read and an answer, and the resends alone can
eat the capacity they wait for. So each second in which more turns were refused than admitted doubles the back-off
asked for (up to `MAX_RETRY_AFTER_MS`), and each calm second halves it again, down to the configured one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from agent.language import detect_language
from server.infra.metrics import TURNS_SHED

BUSY_MESSAGE = {
    "zh": "当前咨询人数较多，您的消息还没有发送成功，请稍后再发一次。",
    "en": "We're very busy right now and your message was not sent yet; please send it again in a moment.",
}
MAX_RETRY_AFTER_MS = 5_000  # a shed message waits at most this (and the jitter) before it is sent again


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
        self.backoff_ms = retry_after_ms  # what a refusal asks for now (adapts, see the module docstring)
        self._second = time.monotonic()
        self._admitted_now = self._refused_now = 0  # in the current second

    def _tick(self) -> None:
        """Close the current second when it is over: adapt the back-off to its refusals and admissions."""
        now = time.monotonic()
        if now - self._second < 1.0:
            return
        if now - self._second >= 2.0:  # a quiet second went by since: no storm now
            self.backoff_ms = self.retry_after_ms
        elif self._refused_now > self._admitted_now:
            self.backoff_ms = min(MAX_RETRY_AFTER_MS, max(self.retry_after_ms, self.backoff_ms * 2))
        elif self._refused_now * 2 <= self._admitted_now:
            self.backoff_ms = max(self.retry_after_ms, self.backoff_ms // 2)
        self._second, self._admitted_now, self._refused_now = now, 0, 0

    def _refuse(self) -> TurnsBusy:
        self._tick()
        self.refused += 1
        self._refused_now += 1
        TURNS_SHED.inc()
        return TurnsBusy(self.backoff_ms)

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
        self._tick()
        self._admitted_now += 1
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1
            self._slots.release()
