"""The operator console's HTTP API and socket, in process (TestClient) over a small SQLite demo store: a
takeover end to end, holders and supervisors, bad requests, one message limit, suggestions, the queue order
and the operator socket. Signing in and role checks are in `test_operator_signin.py`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever
from tests.server.console_support import login, op_url, receive_until, say, start_chat
from tests.sockets import chat_socket, operator_socket

pytestmark = pytest.mark.integration

HUMAN_EN = "I want to talk to a human"
ANGRY_EN = "This is ridiculous, the worst service ever!! I'm furious!"

# ------------------------------------------------------------------------------------------- takeover


def test_takeover_end_to_end_in_process(client: TestClient, accounts) -> None:
    op = login(client, accounts["operator"])
    marketer = login(client, accounts["marketer"])
    cid, token = start_chat(client, "C00002", "en")
    with chat_socket(client, cid, token) as customer:
        state = say(client, cid, token, HUMAN_EN)["state"]
        assert state["handoff"] == "queued"
        receive_until(customer, lambda f: f["type"] == "handoff" and f["status"] == "queued")

        queue = client.get("/api/operator/conversations?handoff=queued", headers=op).json()["conversations"]
        row = next(r for r in queue if r["id"] == cid)
        assert row["customer"]["id"] == "C00002" and row["language"] == "en" and row["intent"] == "human"
        assert row["waiting_seconds"] is not None and row["handoff_reason"] == "customer_asked"

        assert client.post(op_url(cid, "takeover"), headers=marketer).status_code == 403
        assert (
            client.post(op_url(cid, "messages"), json={"text": "hi"}, headers=op).json()["error"]["code"]
            == "not_holding"
        )
        r = client.post(op_url(cid, "takeover"), headers=op)
        assert r.status_code == 200 and r.json()["taken_over"] is True
        assert r.json()["conversation"]["handoff"] == "operator"
        assert r.json()["conversation"]["operator"] == accounts["operator"]
        assert client.post(op_url(cid, "takeover"), headers=op).json()["taken_over"] is False  # idempotent
        joined = receive_until(customer, lambda f: f["type"] == "handoff" and f["status"] == "operator")[-1]
        assert joined["operator"] == "Wang Fang"  # the customer sees the display name, never the login

        # the bot is silent while the operator holds the conversation, but keeps perceiving
        reply = say(client, cid, token, "My parcel is late, where is it?")
        assert reply["reply"]["text"] == "" and reply["state"]["handoff"] == "operator"
        assert reply["state"]["intent"] == "order_status"

        note = client.post(op_url(cid, "notes"), json={"text": "VIP, be generous"}, headers=op)
        assert note.status_code == 201 and note.json()["note"]["text"] == "VIP, be generous"
        sent = client.post(op_url(cid, "messages"), json={"text": "Hi, I'm checking it <b>now</b>"}, headers=op)
        assert sent.status_code == 201
        frames = receive_until(customer, lambda f: f["type"] == "operator_message")
        assert frames[-1]["text"] == "Hi, I'm checking it <b>now</b>"
        assert frames[-1]["operator"] == "Wang Fang" and frames[-1]["seq"] == sent.json()["event"]["seq"]
        assert accounts["operator"] not in str(frames)
        assert not any("VIP" in str(f) for f in frames)  # private notes never reach the customer
        assert not any(f["type"] == "bot_message" for f in frames)

        detail = client.get(op_url(cid), headers=op).json()
        types = [e["type"] for e in detail["events"]]
        joined = types.index("operator_joined")
        assert "bot_uttered" not in types[joined:]
        assert types[-1] == "operator_uttered"
        assert detail["customer"]["id"] == "C00002" and detail["orders"]
        assert [n["text"] for n in detail["notes"]] == ["VIP, be generous"]
        assert detail["conversation"]["waiting_since"] is None  # the operator answered

        r = client.post(op_url(cid, "handback"), headers=op)
        assert r.status_code == 200 and r.json()["conversation"]["handoff"] == "bot"
        left = receive_until(customer, lambda f: f["type"] == "handoff" and f["status"] == "bot")[-1]
        assert left["operator"] == "Wang Fang"

        # resuming and the customer's event log name the operator the same way
        customer.send_json({"type": "resume", "after": 0})
        replayed = receive_until(customer, lambda f: f["type"] == "handoff" and f["status"] == "bot")
        named = [f["operator"] for f in replayed if f["type"] == "operator_message" or f.get("status") == "operator"]
        assert named == ["Wang Fang", "Wang Fang"]
        log = client.get(f"/api/conversations/{cid}/events", headers={"Authorization": f"Bearer {token}"}).json()
        assert {e["payload"]["operator"] for e in log["events"] if "operator" in e["payload"]} == {"Wang Fang"}
        assert accounts["operator"] not in str(log) + str(replayed)
        reply = say(client, cid, token, "Thanks! Do you have phone cases?")
        assert reply["reply"]["text"] and reply["state"]["handoff"] == "bot"

        r = client.post(op_url(cid, "resolve"), headers=op)
        assert r.status_code == 200 and r.json()["csat_requested"] is True and r.json()["handed_back"] is False
        receive_until(customer, lambda f: f["type"] == "csat_request")
        customer.send_json({"type": "csat", "score": 5})
        assert receive_until(customer, lambda f: f["type"] == "csat_recorded")[-1]["score"] == 5
    rows = client.get("/api/operator/conversations", headers=op).json()["conversations"]
    assert next(r for r in rows if r["id"] == cid)["csat"] == 5


def test_only_a_supervisor_takes_over_from_another_operator(client: TestClient, accounts) -> None:
    first, second = login(client, accounts["operator"]), login(client, accounts["operator2"])
    supervisor = login(client, accounts["supervisor"])
    cid, token = start_chat(client, "C00003", "zh")
    say(client, cid, token, "转人工")
    assert client.post(op_url(cid, "takeover"), headers=first).status_code == 200
    r = client.post(op_url(cid, "takeover"), headers=second)
    assert r.status_code == 409 and r.json()["error"]["code"] == "held_by_other"
    assert client.post(op_url(cid, "handback"), headers=second).status_code == 409
    assert client.post(op_url(cid, "resolve"), headers=second).status_code == 409
    r = client.post(op_url(cid, "takeover"), headers=supervisor)
    assert r.status_code == 200 and r.json()["conversation"]["operator"] == accounts["supervisor"]
    assert client.post(op_url(cid, "messages"), json={"text": "你好"}, headers=first).status_code == 409
    assert client.post(op_url(cid, "handback"), headers=supervisor).status_code == 200
    r = client.post(op_url(cid, "handback"), headers=supervisor)
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_held"


def test_bad_requests_get_clear_errors(client: TestClient, accounts) -> None:
    op = login(client, accounts["operator"])
    r = client.get(op_url("0" * 32), headers=op)
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_conversation"
    assert client.get(op_url("not-an-id"), headers=op).status_code == 422
    cid, _ = start_chat(client)
    client.post(op_url(cid, "takeover"), headers=op)
    r = client.post(op_url(cid, "messages"), json={"text": "   "}, headers=op)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_message"
    r = client.post(op_url(cid, "messages"), json={"text": "x" * 2001}, headers=op)
    assert r.status_code == 422
    r = client.post(op_url(cid, "notes"), json={"text": "ok", "extra": 1}, headers=op)
    assert r.status_code == 422


def test_operators_and_customers_share_one_message_limit(store_url: str, accounts: dict[str, str]) -> None:
    settings = Settings(database_url=store_url, max_message_chars=20)
    runtime = build_runtime(settings, retriever=KeywordRetriever(), warm=False)
    with TestClient(create_app(settings, runtime=runtime)) as client:
        cid, token = start_chat(client)
        r = client.post(
            f"/api/conversations/{cid}/messages", json={"text": "x" * 21}, headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_message"
        op = login(client, accounts["operator"])
        client.post(op_url(cid, "takeover"), headers=op)
        for kind in ("messages", "notes"):
            r = client.post(op_url(cid, kind), json={"text": "x" * 21}, headers=op)
            assert r.status_code == 422 and r.json()["error"] == {
                "code": "invalid_message",
                "message": "Messages are limited to 20 characters.",
            }
            assert client.post(op_url(cid, kind), json={"text": "x" * 20}, headers=op).status_code == 201
    runtime.close()


# ------------------------------------------------------------------------------------------ assistance


def test_suggestions_follow_intent_and_affect_in_the_customers_language(client: TestClient, accounts) -> None:
    op = login(client, accounts["operator"])
    cid, token = start_chat(client, "C00004", "en")
    say(client, cid, token, ANGRY_EN)
    s = client.get(op_url(cid, "suggestions"), headers=op).json()
    assert s["language"] == "en" and s["affect"] == "anger" and len(s["suggestions"]) == 3
    assert s["suggestions"][0]["text"].startswith("I'm truly sorry") and "Wang Fang" in s["suggestions"][0]["text"]

    cid, token = start_chat(client, "C00001", "zh")
    say(client, cid, token, "我的快递到哪了")
    s = client.get(op_url(cid, "suggestions"), headers=op).json()
    assert s["intent"] == "order_status" and s["language"] == "zh"
    assert "物流" in s["suggestions"][0]["text"]

    canned = client.get("/api/operator/canned", headers=op).json()
    assert [c["key"] for c in canned["zh"]] == [c["key"] for c in canned["en"]]
    assert "{operator}" not in str(canned) and "Wang Fang" in canned["en"][0]["text"]


def test_queue_puts_the_angriest_first(client: TestClient, accounts) -> None:
    op = login(client, accounts["supervisor"])
    calm, calm_token = start_chat(client, "C00005", "en")
    say(client, calm, calm_token, HUMAN_EN)
    angry, angry_token = start_chat(client, "C00006", "en")
    say(client, angry, angry_token, ANGRY_EN)
    say(client, angry, angry_token, HUMAN_EN)
    queue = [
        r["id"] for r in client.get("/api/operator/conversations?handoff=queued", headers=op).json()["conversations"]
    ]
    assert queue.index(angry) < queue.index(calm)


# --------------------------------------------------------------------------------------------- socket


def test_operator_socket_follows_a_conversation_and_relays_typing(client: TestClient, accounts) -> None:
    op = login(client, accounts["operator"])
    token = op["Authorization"][7:]
    cid, ctoken = start_chat(client, "C00007", "en")
    say(client, cid, ctoken, HUMAN_EN)
    with (
        operator_socket(client, token) as console,
        chat_socket(client, cid, ctoken) as customer,
    ):
        hello = console.receive_json()
        assert hello["type"] == "hello" and hello["operator"]["username"] == accounts["operator"]
        assert any(r["id"] == cid and r["handoff"] == "queued" for r in hello["conversations"])

        console.send_json({"type": "open", "conversation_id": cid, "after": 0})
        replay = receive_until(console, lambda f: f["type"] == "events")[-1]
        assert [e["type"] for e in replay["events"]][:2] == ["conversation_started", "user_uttered"]

        console.send_json({"type": "typing", "conversation_id": cid, "on": True})
        err = receive_until(console, lambda f: f["type"] == "error")[-1]
        assert err["code"] == "not_holding" and err["conversation_id"] == cid

        customer.send_json({"type": "typing", "on": True})
        typing = receive_until(console, lambda f: f["type"] == "typing")[-1]
        assert typing == {"type": "typing", "conversation_id": cid, "who": "customer", "on": True}

        client.post(op_url(cid, "takeover"), headers=op)
        row = receive_until(console, lambda f: f["type"] == "conversation" and f["conversation"]["id"] == cid)
        assert row[-1]["conversation"]["handoff"] == "operator"
        console.send_json({"type": "typing", "conversation_id": cid, "on": True})
        assert receive_until(customer, lambda f: f["type"] == "typing")[-1] == {
            "type": "typing",
            "who": "operator",
            "on": True,
        }

        customer.send_json({"type": "user_message", "text": "Are you there?", "client_msg_id": "m1"})
        events = receive_until(
            console, lambda f: f["type"] == "events" and any(e["type"] == "user_uttered" for e in f["events"])
        )[-1]["events"]
        assert {"user_uttered", "affect_observed", "intent_recognized"} <= {e["type"] for e in events}
        customer_frames = receive_until(customer, lambda f: f["type"] == "user_message")
        seq = customer_frames[-1]["seq"]
        customer.send_json({"type": "resume", "after": seq - 1})  # answered after the turn (a socket's frames in order)
        customer_frames += receive_until(customer, lambda f: f["type"] == "user_message" and f["seq"] == seq)
        client.post(op_url(cid, "messages"), json={"text": "Yes!"}, headers=op)  # sent after the turn ended
        customer_frames += receive_until(customer, lambda f: f["type"] == "operator_message")
        assert not any(f["type"] == "bot_message" for f in customer_frames)

        client.post(op_url(cid, "notes"), json={"text": "checked the carrier"}, headers=op)
        note = receive_until(console, lambda f: f["type"] == "note")[-1]
        assert note["note"]["text"] == "checked the carrier"

        console.send_json({"type": "open", "conversation_id": "0" * 32})
        assert receive_until(console, lambda f: f["type"] == "error")[-1]["code"] == "unknown_conversation"
        console.send_text("{nope")
        assert receive_until(console, lambda f: f["type"] == "error")[-1]["code"] == "malformed_json"
        console.send_json({"type": "ping"})
        assert receive_until(console, lambda f: f["type"] == "pong")
