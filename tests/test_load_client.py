"""The load bench's client (`bench/load_client.py`): a message refused as `busy` is sent again until the server
accepts it, however many refusals that takes, and stops being sent when the drain ends; one still refused then is
counted apart from the undelivered (admission control, not a loss), while an accepted message missing from the log
is still lost."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from load_client import Client, Conv, Plan, Turn

pytestmark = pytest.mark.unit


class FakeSocket:
    """Answers every `user_message` as `busy` until `refusals` are used up, then echoes it (accepted)."""

    def __init__(self, client: Client, conv: Conv, refusals: int) -> None:
        self.client, self.conv, self.refusals, self.sent = client, conv, refusals, 0
        self.seq = 0

    async def send(self, raw: str) -> None:
        frame = json.loads(raw)
        if frame["type"] != "user_message":
            return
        self.sent += 1
        if self.refusals > 0:
            self.refusals -= 1
            self.client._frame(self.conv, {"type": "error", "code": "busy", "retry_after_ms": 1,
                                           "client_msg_id": frame["client_msg_id"]})
        else:
            self.seq += 1
            self.client._frame(self.conv, {"type": "user_message", "seq": self.seq,
                                           "client_msg_id": frame["client_msg_id"]})


def _client() -> tuple[Client, Conv, Turn]:
    plan = Plan(index=0, bases=["http://127.0.0.1:1"], sockets=1, ramp_per_s=1, rate_per_s=1, duration_s=0,
                turns_per_socket=0, drain_s=0, secret="s", customers=["C1"])
    client = Client(plan)
    conv = Conv(0, "conv-1", "token", "en", 0)
    turn = Turn("m-1", "hi", 0.0)
    conv.turns.append(turn)
    conv.pending = turn
    client.convs.append(conv)
    return client, conv, turn


def test_a_busy_message_is_sent_again_until_it_is_accepted() -> None:
    async def go() -> tuple[FakeSocket, Turn]:
        client, conv, turn = _client()
        ws = FakeSocket(client, conv, refusals=80)  # more refusals than the old cap of 60 resends
        conv.ws = ws  # type: ignore[assignment]
        await client._send(conv, turn)
        for _ in range(2000):
            if turn.echoed:
                break
            await asyncio.sleep(0.001)
        await client.http.aclose()
        return ws, turn

    ws, turn = asyncio.run(go())
    assert turn.echoed and not turn.refused
    assert ws.sent == 81 and turn.busy == 80 and turn.attempts == 1  # busy resends are not retries of a failure


def test_resending_stops_with_the_drain_and_a_refused_message_is_counted_apart() -> None:
    async def go() -> tuple[FakeSocket, dict[str, int]]:
        client, conv, turn = _client()
        ws = FakeSocket(client, conv, refusals=10**6)
        conv.ws = ws  # type: ignore[assignment]
        await client._send(conv, turn)
        await asyncio.sleep(0.05)
        client.stopping = True  # the drain is over
        sent = ws.sent
        await asyncio.sleep(0.05)
        assert ws.sent <= sent + 1  # at most one resend already under way
        lost = Turn("m-2", "hi again", 0.0, echoed=True)  # accepted by the server, then missing from the log
        conv.turns.append(lost)

        async def events(_: Conv) -> list[dict[str, Any]]:
            return []

        client._events = events  # type: ignore[method-assign]
        log = await client.verify()
        await client.http.aclose()
        return ws, log

    ws, log = asyncio.run(go())
    assert ws.sent > 3
    assert log["refused_at_end"] == 1 and log["undelivered"] == 0 and log["lost"] == 1
