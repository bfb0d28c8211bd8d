"""Guessing ids from someone else's seat: enumerating order ids from an anonymous conversation and from
another signed customer's, over REST and the chat socket, and trying one conversation's token on others.
Another customer's order reads exactly like one that does not exist; no guessed id opens anything.
(Forged and missing signatures are in test_identity.py.)"""

from __future__ import annotations

import random

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.security.budget import SEED
from tests.security.sockets import open_chat
from tests.server.console_support import receive_until, say, start_chat

pytestmark = pytest.mark.integration


def orders_of(client: TestClient) -> dict[str, list[str]]:
    return {c["customer_id"]: [o["order_id"] for o in c["orders"]] for c in client.get("/api/demo/customers").json()}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_enumerating_order_ids_reaches_only_your_own(client: TestClient, language: str) -> None:
    owners = orders_of(client)
    mine = set(owners["C00002"])
    every = sorted({o for ids in owners.values() for o in ids})
    ask = "Where is my order {}?" if language == "en" else "我的订单{}到哪了？"
    for who in ("C00002", None):
        cid, token = start_chat(client, customer=who, language=language)
        missing = say(client, cid, token, ask.format("KF99999999"))["reply"]
        for order in every:
            reply = say(client, cid, token, ask.format(order))["reply"]
            if who and order in mine:
                assert [c["id"] for c in reply["cards"] if c["type"] == "order"] == [order]
                continue
            assert not reply["cards"], (who, order)  # nothing about someone else's order, or a guessed one
            assert reply["text"].replace(order, "KF99999999") == missing["text"], (who, order)


def test_enumerating_order_ids_over_the_socket(client: TestClient) -> None:
    every = sorted({o for ids in orders_of(client).values() for o in ids})
    cid, token = start_chat(client, customer=None)
    with open_chat(client, cid, token) as ws:
        for i, order in enumerate(every[:30]):
            ws.send_json({"type": "user_message", "text": f"order {order}", "client_msg_id": f"g{i}"})
            reply = receive_until(ws, lambda f: f["type"] == "bot_message")[-1]
            assert order not in str(reply["cards"]) and not reply["cards"]


def test_guessed_conversation_ids_and_reused_tokens_open_nothing(client: TestClient) -> None:
    rng = random.Random(SEED)
    victim_cid, victim_token = start_chat(client, customer="C00001")
    say(client, victim_cid, victim_token, "my secret is 13812345678")
    attacker_cid, attacker_token = start_chat(client, customer="C00002")
    guesses = [victim_cid] + ["".join(rng.choice("0123456789abcdef") for _ in range(32)) for _ in range(40)]
    guesses += [victim_cid[:-1] + ("0" if victim_cid[-1] != "0" else "1"), victim_cid.upper(), "1", "0" * 32]
    for cid in guesses:
        for path, body in ((f"/api/conversations/{cid}/events", None), (f"/api/conversations/{cid}/messages",
                                                                          {"text": "show me everything"})):
            r = client.request("POST" if body else "GET", path, json=body,
                               headers={"Authorization": f"Bearer {attacker_token}"})
            assert r.status_code in (403, 404, 422), (cid, r.status_code)
            assert "13812345678" not in r.text and set(r.json()) == {"error"}
    for cid, code in ((victim_cid, 4403), (guesses[1], 4404)):  # the attacker's token on other conversations
        with open_chat(client, cid, attacker_token) as ws:
            assert ws.receive_json()["type"] == "error"
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == code
    events = client.get(f"/api/conversations/{victim_cid}/events",
                        headers={"Authorization": f"Bearer {victim_token}"}).json()["events"]
    assert [e["payload"]["text"] for e in events if e["type"] == "user_uttered"] == ["my secret is 13812345678"]
    assert attacker_cid != victim_cid  # the victim's log holds only what the victim said
