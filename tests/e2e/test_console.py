"""Human takeover against the real server: a customer on the widget socket asks for a person, an operator
signs in, takes over through the API and the console socket, both sides talk, the operator hands back,
resolves, and the customer's rating is recorded.

Operator accounts are written straight into the e2e store; the server reads them at each login, so it
does not matter whether it started before or after.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from server.db.engine import make_engine, make_session_factory
from server.db.operators import DuplicateOperator, OperatorRepository
from server.operators.accounts import OperatorAuth
from tests.services import signed
from tests.sockets import live_chat_socket

pytestmark = pytest.mark.e2e

PASSWORD = "console e2e password"
TIMEOUT = 30.0


def ensure_operator(database_url: str, username: str, *, role: str = "operator", name: str = "王芳") -> str:
    """Create (or reset the password of) an operator account in the store at `database_url`."""
    engine = make_engine(database_url)
    try:
        auth = OperatorAuth(OperatorRepository(make_session_factory(engine)))
        try:
            auth.register(username=username, display_name=name, role=role, password=PASSWORD)
        except DuplicateOperator:
            auth.change_password(username, PASSWORD)
    finally:
        engine.dispose()
    return username


@pytest.fixture(scope="module")
def operator_name(e2e_env: dict[str, str]) -> str:
    return ensure_operator(e2e_env["KEFU_DATABASE_URL"], "e2e-wang")


def until(ws: ClientConnection, accept: Callable[[dict[str, Any]], bool], what: str) -> list[dict[str, Any]]:
    """Frames up to and including the first that `accept` likes; fails after TIMEOUT seconds."""
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            frame = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        except TimeoutError:
            break
        frames.append(frame)
        if accept(frame):
            return frames
    pytest.fail(f"no {what} within {TIMEOUT} s; got {frames}")


def customer_says(ws: ClientConnection, text: str) -> list[dict[str, Any]]:
    """Send a message; frames until the server has finished the turn (a quick turn sends no `typing`, so not that).

    Once the message's echo is there, a `resume` from it and a frame the server refuses follow it: a socket's frames
    are handled in order, so when the refusal comes the turn has ended and the replay before it holds every frame
    the turn caused (its live frames travel through pub/sub and may still follow). To show silence, send something
    after this and check that no bot message came before it."""
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({"type": "user_message", "text": text, "client_msg_id": msg_id}))
    frames = until(ws, lambda f: f["type"] == "user_message" and f.get("client_msg_id") == msg_id, "the echo")
    ws.send(json.dumps({"type": "resume", "after": frames[-1]["seq"] - 1}))
    ws.send(json.dumps({"type": "end_of_turn?"}))
    return frames + until(ws, lambda f: f["type"] == "error" and f["code"] == "invalid_frame", "end of turn")


def test_customer_operator_round_trip(live_server: str, operator_name: str) -> None:
    base, ws_base = live_server, live_server.replace("http", "ws", 1)
    r = httpx.post(f"{base}/api/conversations", json={"channel": "web", **signed("C00010"), "language": "zh"})
    assert r.status_code == 201, r.text
    cid, token = r.json()["conversation_id"], r.json()["token"]

    with live_chat_socket(ws_base, cid, token) as customer:
        frames = customer_says(customer, "转人工")
        assert any(f["type"] == "handoff" and f["status"] == "queued" for f in frames)

        # as the console page: the session cookie, and the Origin a browser sends with every change
        with httpx.Client(base_url=base, timeout=TIMEOUT, headers={"Origin": base}) as op:
            r = op.post("/api/operator/login", json={"username": operator_name, "password": PASSWORD})
            assert r.status_code == 200, r.text
            assert op.cookies.get("kefu_operator")  # the console page's credential
            op_token = r.json()["token"]
            queue = op.get("/api/operator/conversations", params={"handoff": "queued"}).json()["conversations"]
            row = next(x for x in queue if x["id"] == cid)
            assert row["customer"]["id"] == "C00010" and row["intent"] == "human" and row["language"] == "zh"

            # a tool's credential: the session token as a bearer header on the upgrade request
            bearer = {"Authorization": f"Bearer {op_token}"}
            with connect(f"{ws_base}/ws/operator", additional_headers=bearer) as console:
                assert until(console, lambda f: f["type"] == "hello", "hello")[-1]["operator"]["username"] \
                    == operator_name
                console.send(json.dumps({"type": "open", "conversation_id": cid}))

                assert op.post(f"/api/operator/conversations/{cid}/takeover").json()["taken_over"] is True
                until(customer, lambda f: f["type"] == "handoff" and f["status"] == "operator", "handoff to operator")
                until(console, lambda f: f["type"] == "conversation" and f["conversation"]["id"] == cid
                      and f["conversation"]["handoff"] == "operator", "list update")

                # typing both ways
                customer.send(json.dumps({"type": "typing", "on": True}))
                until(console, lambda f: f["type"] == "typing" and f.get("conversation_id") == cid
                      and f["who"] == "customer" and f["on"], "customer typing")
                console.send(json.dumps({"type": "typing", "conversation_id": cid, "on": True}))
                until(customer, lambda f: f == {"type": "typing", "who": "operator", "on": True}, "operator typing")

                # operator → customer
                sent = op.post(f"/api/operator/conversations/{cid}/messages", json={"text": "您好，我是王芳，请讲"})
                assert sent.status_code == 201, sent.text
                frame = until(customer, lambda f: f["type"] == "operator_message", "operator message")[-1]
                assert frame["text"] == "您好，我是王芳，请讲" and frame["seq"] == sent.json()["event"]["seq"]

                # customer → operator, and the bot stays silent while held: nothing from the bot comes
                # before the operator's next message, which is sent after the customer's turn has ended
                frames = customer_says(customer, "我的快递三天没动了，到底到哪了？")
                op.post(f"/api/operator/conversations/{cid}/messages", json={"text": "我帮您查一下"})
                frames += until(customer, lambda f: f["type"] == "operator_message", "second operator message")
                assert not any(f["type"] == "bot_message" for f in frames)
                events = until(console, lambda f: f["type"] == "events"
                               and any(e["type"] == "user_uttered" for e in f["events"]), "customer event")[-1]
                said = next(e for e in events["events"] if e["type"] == "user_uttered")
                assert said["payload"]["text"] == "我的快递三天没动了，到底到哪了？"

                note = op.post(f"/api/operator/conversations/{cid}/notes", json={"text": "老客户，优先处理"})
                assert note.status_code == 201
                suggestions = op.get(f"/api/operator/conversations/{cid}/suggestions").json()
                assert suggestions["intent"] == "order_status" and "王芳" in suggestions["suggestions"][0]["text"]

                # hand back: the bot answers again
                assert op.post(f"/api/operator/conversations/{cid}/handback").status_code == 200
                until(customer, lambda f: f["type"] == "handoff" and f["status"] == "bot", "handoff to bot")
                frames = customer_says(customer, "有手机壳吗")  # the answer may come before or after typing goes off
                if not any(f["type"] == "bot_message" for f in frames):
                    frames += until(customer, lambda f: f["type"] == "bot_message", "the bot's answer")
                frames = frames[: next(i for i, f in enumerate(frames) if f["type"] == "bot_message") + 1]
                assert frames[-1]["text"] and frames[-1]["state"]["handoff"] == "bot"
                assert not any("老客户" in json.dumps(f, ensure_ascii=False) for f in frames)

                # resolve: the customer is asked for a rating, which is recorded
                r = op.post(f"/api/operator/conversations/{cid}/resolve")
                assert r.status_code == 200 and r.json()["csat_requested"] is True
                until(customer, lambda f: f["type"] == "csat_request", "csat request")
                customer.send(json.dumps({"type": "csat", "score": 4}))
                assert until(customer, lambda f: f["type"] == "csat_recorded", "csat recorded")[-1]["score"] == 4
                until(console, lambda f: f["type"] == "conversation" and f["conversation"]["id"] == cid
                      and f["conversation"]["csat"] == 4, "csat in the list")

            detail = op.get(f"/api/operator/conversations/{cid}").json()
            types = [e["type"] for e in detail["events"]]
            joined, back = types.index("operator_joined"), types.index("handed_back")
            assert "bot_uttered" not in types[joined:back] and "bot_uttered" in types[back:]
            assert types[-1] == "csat_given" and detail["conversation"]["csat"] == 4
            assert [n["text"] for n in detail["notes"]] == ["老客户，优先处理"]
            assert detail["customer"]["id"] == "C00010" and detail["orders"]

            assert op.post("/api/operator/logout").status_code == 200
            assert op.get("/api/operator/conversations").status_code == 401
