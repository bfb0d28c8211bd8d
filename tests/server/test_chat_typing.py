"""The bot's `typing` frames on the chat socket: a turn answered within `KEFU_HTTP_TYPING_DELAY_MS` shows the customer
no "typing…" (no `typing` frames at all); a turn that takes longer shows it (`on`), and hides it (`off`) once the
reply is there."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.sockets import chat_socket, receive, send, start_chat

pytestmark = pytest.mark.integration

ASK = {"zh": "有手机壳吗", "en": "Do you have phone cases?"}


def frames_until_reply_and_resume(ws: Any) -> list[dict[str, Any]]:
    """Every frame up to the turn's `bot_message`, then a `resume` of that message answered (frames of one socket
    are handled in order, so whatever the turn sent after its reply has been sent by then too)."""
    frames: list[dict[str, Any]] = []
    while not frames or frames[-1]["type"] != "bot_message":
        frames.append(receive(ws))
        assert len(frames) < 50, frames
    seq = frames[-1]["seq"]
    send(ws, {"type": "resume", "after": seq - 1})
    while True:
        frame = receive(ws)
        if frame["type"] == "bot_message" and frame["seq"] == seq:
            return frames
        frames.append(frame)
        assert len(frames) < 100, frames


def bot_typing(frames: list[dict[str, Any]]) -> list[bool]:
    return [f["on"] for f in frames if f["type"] == "typing" and f.get("who") == "bot"]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_turn_answered_within_the_delay_sends_no_typing(client: TestClient, language: str) -> None:
    client.app.state.runtime.settings.http.typing_delay_ms = 10_000  # far longer than any turn here
    cid, token = start_chat(client, None, language)
    with chat_socket(client, cid, token) as ws:
        for n in range(2):
            send(ws, {"type": "user_message", "text": ASK[language], "client_msg_id": f"m{n}"})
            frames = frames_until_reply_and_resume(ws)
            assert [f["type"] for f in frames].count("user_message") == 1, frames  # the echo, then the reply
            assert bot_typing(frames) == [], frames


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_slow_turn_shows_typing_then_hides_it_after_the_reply(
    client: TestClient, slow_search: dict[str, threading.Event], language: str
) -> None:
    client.app.state.runtime.settings.http.typing_delay_ms = 50
    cid, token = start_chat(client, None, language)
    with chat_socket(client, cid, token) as ws:
        send(ws, {"type": "user_message", "text": ASK[language], "client_msg_id": "m1"})
        assert slow_search["entered"].wait(10)
        before: list[dict[str, Any]] = []
        while not bot_typing(before):  # shown while the turn is still unanswered
            before.append(receive(ws))
            assert len(before) < 20, before
        assert "bot_message" not in [f["type"] for f in before]
        slow_search["release"].set()
        frames = frames_until_reply_and_resume(ws)
        reply = next(f for f in frames if f["type"] == "bot_message")
        assert any(card["type"] == "product" for card in reply["cards"]), reply
        assert bot_typing(before + frames) == [True, False], before + frames  # on once, then off once
