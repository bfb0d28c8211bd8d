"""Bad input gets a clear error and changes nothing."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.services import signed
from tests.sockets import authenticate, live_chat_socket

pytestmark = pytest.mark.e2e


def _start(base: str, customer: str = "C00007") -> tuple[str, str]:
    r = httpx.post(f"{base}/api/conversations", json={"channel": "web", **signed(customer)})
    assert r.status_code == 201
    return r.json()["conversation_id"], r.json()["token"]


def _events(base: str, cid: str, token: str) -> list[dict]:
    r = httpx.get(f"{base}/api/conversations/{cid}/events", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    return r.json()["events"]


def _error(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"]["code"] == code and body["error"]["message"]


def test_rest_bad_input_is_refused_and_changes_nothing(live_server: str) -> None:
    base = live_server
    cid, token = _start(base)
    auth = {"Authorization": f"Bearer {token}"}
    before = _events(base, cid, token)
    url = f"{base}/api/conversations/{cid}/messages"

    _error(httpx.post(f"{base}/api/conversations", content=b"{not json", headers={"content-type": "application/json"}),
           400, "malformed_json")
    _error(httpx.post(url, content=b'{"text": ', headers={**auth, "content-type": "application/json"}),
           400, "malformed_json")
    _error(httpx.post(url, json={"text": "hi"}), 401, "missing_token")
    _error(httpx.post(url, json={"text": "hi"}, headers={"Authorization": "Bearer wrong"}), 403, "invalid_token")
    other_cid, other_token = _start(base, "C00008")
    _error(httpx.post(url, json={"text": "hi"}, headers={"Authorization": f"Bearer {other_token}"}),
           403, "invalid_token")
    _error(httpx.post(f"{base}/api/conversations/{'0' * 32}/messages", json={"text": "hi"}, headers=auth),
           404, "unknown_conversation")
    _error(httpx.post(f"{base}/api/conversations/nope/messages", json={"text": "hi"}, headers=auth),
           422, "invalid_request")
    _error(httpx.post(url, json={"text": "x" * 100_000}, headers=auth), 413, "too_large")
    _error(httpx.post(url, json={"text": "x" * 5_000}, headers=auth), 422, "invalid_request")
    _error(httpx.post(url, json={"text": ""}, headers=auth), 422, "invalid_request")
    _error(httpx.post(url, json={"txt": "hi"}, headers=auth), 422, "invalid_request")
    _error(httpx.post(f"{base}/api/conversations", json={"channel": "fax"}), 422, "invalid_request")
    _error(httpx.post(f"{base}/api/conversations", json=signed("C99999")), 404, "unknown_customer")
    _error(httpx.get(f"{base}/api/conversations/{cid}/events?after=-1", headers=auth), 422, "invalid_request")

    assert _events(base, cid, token) == before
    # only its ConversationStarted (and the store's note of who the customer is, once profiles are built)
    assert {e["type"] for e in _events(base, other_cid, other_token)} <= {"conversation_started", "customer_profiled"}


def test_ws_bad_input_gets_error_frames_and_socket_survives(live_server: str) -> None:
    base = live_server
    cid, token = _start(base)
    ws_base = base.replace("http", "ws")
    with connect(f"{ws_base}/ws/chat/{cid}") as ws:
        frame = authenticate(ws, "wrong")
        assert frame["type"] == "error" and frame["code"] == "invalid_token"
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
    with connect(f"{ws_base}/ws/chat/{'f' * 32}") as ws:
        assert authenticate(ws, token)["code"] == "unknown_conversation"

    before = _events(base, cid, token)
    with live_chat_socket(ws_base, cid, token, max_size=None) as ws:
        for raw, code in [
            ("{oops", "malformed_json"),
            (json.dumps({"type": "teleport"}), "invalid_frame"),
            (json.dumps({"type": "csat", "score": 9}), "invalid_frame"),
            (json.dumps({"type": "user_message", "text": "x" * 100_000}), "too_large"),
            (json.dumps({"type": "user_message", "text": "x" * 5000}), "invalid_message"),
        ]:
            ws.send(raw)
            while True:
                frame = json.loads(ws.recv(timeout=10))
                if frame["type"] != "typing":
                    break
            assert frame["type"] == "error" and frame["code"] == code, frame
        assert _events(base, cid, token) == before
        ws.send(json.dumps({"type": "user_message", "text": "你好", "client_msg_id": "ok-1"}))
        kinds = []
        while "bot_message" not in kinds:
            kinds.append(json.loads(ws.recv(timeout=10))["type"])
        assert "user_message" in kinds


def test_ws_resume_replays_missed_frames_once_in_order(live_server: str) -> None:
    base = live_server
    cid, token = _start(base)
    auth = {"Authorization": f"Bearer {token}"}
    httpx.post(f"{base}/api/conversations/{cid}/messages", json={"text": "你好"}, headers=auth)
    httpx.post(f"{base}/api/conversations/{cid}/messages", json={"text": "我想买手机壳"}, headers=auth)
    with live_chat_socket(base.replace("http", "ws"), cid, token) as ws:
        ws.send(json.dumps({"type": "resume", "after": 0}))
        frames = [json.loads(ws.recv(timeout=10)) for _ in range(4)]
    assert [f["type"] for f in frames] == ["user_message", "bot_message", "user_message", "bot_message"]
    seqs = [f["seq"] for f in frames]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4
    assert frames[3]["cards"] and frames[3]["cards"][0]["type"] == "product"
