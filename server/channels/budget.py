"""How many frames one socket may send: a token bucket per socket, beside the per-IP and per-conversation limits.

The message limits count what costs a turn; this budget counts every frame (typing, resume, unknown junk), so a
client cannot keep a worker busy parsing a flood on one socket. A frame over budget is refused with an `error`
frame (`rate_limited`, `retry_after`); a socket that keeps flooding after `strikes` refusals in a row is closed
(4429), and the client may reconnect. A well-behaved widget sends a few frames a second at most.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from fastapi import WebSocket, WebSocketDisconnect

from server.channels.frames import error_frame, refuse, send_frame


class Verdict(Enum):
    ALLOW = "allow"
    REFUSE = "refuse"  # answer with an error frame, keep the socket
    CLOSE = "close"  # the client ignores refusals: close the socket


@dataclass(slots=True)
class FrameBudget:
    """`rate` frames a second on average, bursts of up to `burst`; `strikes` refusals in a row close the socket."""

    rate: float
    burst: int
    strikes: int = 50
    clock: Callable[[], float] = time.monotonic
    _tokens: float = field(init=False)
    _at: float = field(init=False)
    _refused: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self._tokens, self._at = float(self.burst), self.clock()

    def take(self) -> Verdict:
        now = self.clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            self._refused = 0
            return Verdict.ALLOW
        self._refused += 1
        return Verdict.CLOSE if self._refused >= self.strikes else Verdict.REFUSE

    def retry_after(self) -> float:
        """Seconds until the next frame would be allowed."""
        return max(0.0, (1.0 - self._tokens) / self.rate)


def unlimited() -> FrameBudget:
    """A budget that never refuses (`KEFU_RATE_LIMITS=off`)."""
    return FrameBudget(rate=1e12, burst=1 << 40)


async def spend(ws: WebSocket, budget: FrameBudget) -> bool:
    """Charge one client frame to `budget`: True to read it; False when it was refused (an `error` frame sent).
    A socket out of strikes is refused and closed (4429), and `WebSocketDisconnect` ends its loop."""
    verdict = budget.take()
    if verdict is Verdict.ALLOW:
        return True
    if verdict is Verdict.CLOSE:
        await refuse(ws, "rate_limited", "Too many frames on this socket; it is closed. Reconnect and slow down.", 429)
        raise WebSocketDisconnect(4429)
    await send_frame(ws, {**error_frame("rate_limited", "Too many frames on this socket; slow down."),
                          "retry_after": round(budget.retry_after(), 3)})
    return False
