"""Load shedding through the wired server: with one turn slot and no queue, a turn held busy (a slow product
search) makes a second concurrent turn `busy` at once, on the socket (`error` frame with `retry_after_ms`) and on
REST (503 + `Retry-After`); nothing is recorded for it, and the same message sent again later is answered once."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.infra.admission import BUSY_MESSAGE, TurnGate
from tests.sockets import chat_socket, receive, send

pytestmark = pytest.mark.integration

ASK = {"zh": "有手机壳吗", "en": "Do you have phone cases?"}


@pytest.fixture
def one_slot(client: TestClient) -> TurnGate:
    gate = TurnGate(in_flight=1, queued=0, wait_s=0.0, retry_after_ms=700)
    client.app.state.runtime.turn_gate = gate
    return gate


def start(client: TestClient, language: str) -> tuple[str, str]:
    body = client.post("/api/conversations", json={"channel": "web", "language": language}).json()
    return body["conversation_id"], body["token"]


def next_of(ws: Any, kinds: tuple[str, ...]) -> dict[str, Any]:
    for _ in range(50):
        frame = receive(ws)
        if frame["type"] in kinds:
            return frame
    raise AssertionError(f"no {kinds} frame")


def kinds_of(client: TestClient, cid: str, token: str) -> list[str]:
    events = client.get(f"/api/conversations/{cid}/events", headers={"Authorization": f"Bearer {token}"}).json()
    return [e["type"] for e in events["events"]]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_second_turn_is_busy_at_once_and_its_resend_is_answered_once(
    client: TestClient, slow_search: dict[str, threading.Event], one_slot: TurnGate, language: str
) -> None:
    cid1, token1 = start(client, language)
    cid2, token2 = start(client, language)
    with chat_socket(client, cid1, token1) as ws1, chat_socket(client, cid2, token2) as ws2:
        send(ws1, {"type": "user_message", "text": ASK[language], "client_msg_id": "a1"})
        assert slow_search["entered"].wait(10)  # the first turn holds the only slot

        asked = time.monotonic()
        send(ws2, {"type": "user_message", "text": ASK[language], "client_msg_id": "b1"})
        busy = next_of(ws2, ("error", "bot_message"))
        assert time.monotonic() - asked < 1.0
        assert busy == {"type": "error", "code": "busy", "message": BUSY_MESSAGE[language],
                        "retry_after_ms": 700, "client_msg_id": "b1"}
        assert "user_uttered" not in kinds_of(client, cid2, token2)  # not recorded: nothing was accepted

        slow_search["release"].set()
        assert next_of(ws1, ("bot_message", "error"))["type"] == "bot_message"

        send(ws2, {"type": "user_message", "text": ASK[language], "client_msg_id": "b1"})  # the resend
        answer = next_of(ws2, ("bot_message", "error"))
        assert answer["type"] == "bot_message" and any(c["type"] == "product" for c in answer["cards"]), answer
        send(ws2, {"type": "user_message", "text": ASK[language], "client_msg_id": "b1"})  # once more: a duplicate
        # frames of a socket are handled in order: once this `resume` is answered, the duplicate has been handled
        send(ws2, {"type": "resume", "after": answer["seq"] - 1})
        assert next_of(ws2, ("bot_message",))["seq"] == answer["seq"]
    kinds = kinds_of(client, cid2, token2)
    assert kinds.count("user_uttered") == 1 and kinds.count("bot_uttered") == 1, kinds
    assert one_slot.refused == 1 and one_slot.running == 0


def test_rest_answers_busy_with_503_and_retry_after_and_the_resend_is_answered(
    client: TestClient, slow_search: dict[str, threading.Event], one_slot: TurnGate
) -> None:
    cid1, token1 = start(client, "en")
    cid2, token2 = start(client, "en")
    url, auth = f"/api/conversations/{cid2}/messages", {"Authorization": f"Bearer {token2}"}
    with chat_socket(client, cid1, token1) as ws1:
        send(ws1, {"type": "user_message", "text": ASK["en"], "client_msg_id": "a1"})
        assert slow_search["entered"].wait(10)
        refused = client.post(url, json={"text": ASK["en"], "client_msg_id": "r1"}, headers=auth)
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
        assert refused.json() == {"error": {"code": "busy", "message": BUSY_MESSAGE["en"]}}
        slow_search["release"].set()
        assert next_of(ws1, ("bot_message", "error"))["type"] == "bot_message"
    answered = client.post(url, json={"text": ASK["en"], "client_msg_id": "r1"}, headers=auth)
    assert answered.status_code == 200 and not answered.json()["duplicate"], answered.text
    again = client.post(url, json={"text": ASK["en"], "client_msg_id": "r1"}, headers=auth)
    assert again.status_code == 200 and again.json()["duplicate"]
    kinds = kinds_of(client, cid2, token2)
    assert kinds.count("user_uttered") == 1 and kinds.count("bot_uttered") == 1, kinds


def test_a_queued_turn_waits_for_a_slot_and_a_full_queue_refuses() -> None:
    async def run() -> list[str]:
        gate = TurnGate(in_flight=1, queued=1, wait_s=1.0, retry_after_ms=100)
        release, outcomes = asyncio.Event(), []

        async def turn(name: str, hold: bool) -> None:
            try:
                async with gate.admit():
                    if hold:
                        await release.wait()
                    outcomes.append(name)
            except Exception as exc:
                outcomes.append(f"{name}:{type(exc).__name__}")

        first = asyncio.create_task(turn("first", hold=True))
        await asyncio.sleep(0)
        queued = asyncio.create_task(turn("queued", hold=False))
        await asyncio.sleep(0)
        await turn("third", hold=False)  # the queue is full: refused at once
        release.set()
        await asyncio.gather(first, queued)
        return outcomes

    assert asyncio.run(run()) == ["third:TurnsBusy", "first", "queued"]
