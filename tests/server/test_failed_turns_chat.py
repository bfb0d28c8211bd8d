"""A turn that fails inside, through the wired server: the customer gets the apology in their language as a
`bot_message` over the socket (which stays open) and as the REST reply; the same message sent again runs again
and is answered; an answered message sent again is a duplicate."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.sockets import chat_socket, receive, send
from tools.commerce.products import ProductSearchTool

pytestmark = pytest.mark.integration

APOLOGY = {"zh": "抱歉，刚才处理您的消息时我们这边出了点问题", "en": "Sorry, something went wrong on our side"}
ASK = {"zh": "有手机壳吗", "en": "Do you have phone cases?"}


@pytest.fixture
def broken_search(monkeypatch: pytest.MonkeyPatch) -> dict[str, bool]:
    """Product search raises (a bug, a lost connection) while `state["broken"]`."""
    state = {"broken": True}
    real = ProductSearchTool.__call__

    async def search(self: ProductSearchTool, args: Any, ctx: Any) -> Any:
        if state["broken"]:
            raise RuntimeError("search backend exploded")
        return await real(self, args, ctx)

    monkeypatch.setattr(ProductSearchTool, "__call__", search)
    return state


def start(client: TestClient, language: str) -> tuple[str, str]:
    body = client.post("/api/conversations", json={"channel": "web", "language": language}).json()
    return body["conversation_id"], body["token"]


def next_of(ws: Any, kinds: tuple[str, ...]) -> dict[str, Any]:
    for _ in range(50):
        frame = receive(ws)
        if frame["type"] in kinds:
            return frame
    raise AssertionError(f"no {kinds} frame")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_socket_answers_a_failed_turn_with_an_apology_stays_open_and_runs_the_retry(
    client: TestClient, broken_search: dict[str, bool], language: str
) -> None:
    cid, token = start(client, language)
    with chat_socket(client, cid, token) as ws:
        send(ws, {"type": "user_message", "text": ASK[language], "client_msg_id": "m1"})
        apology = next_of(ws, ("bot_message", "error"))
        assert apology["type"] == "bot_message" and apology["text"].startswith(APOLOGY[language]), apology
        assert isinstance(apology["seq"], int)  # recorded: it is in the log and comes back on resume

        broken_search["broken"] = False
        send(ws, {"type": "user_message", "text": ASK[language], "client_msg_id": "m1"})  # the same socket
        answer = next_of(ws, ("bot_message", "error"))
        assert answer["type"] == "bot_message" and not answer["text"].startswith(APOLOGY[language])
        assert any(card["type"] == "product" for card in answer["cards"]), answer
    events = client.get(f"/api/conversations/{cid}/events", headers={"Authorization": f"Bearer {token}"}).json()
    kinds = [e["type"] for e in events["events"]]
    assert kinds.count("user_uttered") == 1 and kinds.count("bot_uttered") == 2 and "turn_failed" in kinds


@pytest.mark.parametrize("language", ["zh", "en"])
def test_rest_answers_a_failed_turn_with_the_apology_and_the_retry_runs_again(
    client: TestClient, broken_search: dict[str, bool], language: str
) -> None:
    cid, token = start(client, language)
    auth = {"Authorization": f"Bearer {token}"}
    url = f"/api/conversations/{cid}/messages"
    failed = client.post(url, json={"text": ASK[language], "client_msg_id": "m1"}, headers=auth)
    assert failed.status_code == 200, failed.text
    assert failed.json()["failed"] and failed.json()["reply"]["text"].startswith(APOLOGY[language])

    broken_search["broken"] = False
    again = client.post(url, json={"text": ASK[language], "client_msg_id": "m1"}, headers=auth).json()
    assert not again["failed"] and not again["duplicate"] and again["reply"]["cards"]
    third = client.post(url, json={"text": ASK[language], "client_msg_id": "m1"}, headers=auth).json()
    assert third["duplicate"]
    assert 'kefu_turns_failed_total{error="RuntimeError"}' in client.get("/metrics").text


def test_when_nothing_can_be_recorded_rest_says_so_in_the_customers_language(
    client: TestClient, broken_search: dict[str, bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    cid, token = start(client, "en")
    store = client.app.state.runtime.agent.store  # type: ignore[attr-defined]

    async def down(*args: Any, **kwargs: Any) -> Any:
        raise OSError("database unreachable")

    monkeypatch.setattr(store, "append", down)
    reply = client.post(f"/api/conversations/{cid}/messages", json={"text": ASK["en"], "client_msg_id": "m1"},
                        headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 503
    error = reply.json()["error"]
    assert error["code"] == "turn_failed" and error["message"].startswith(APOLOGY["en"])
