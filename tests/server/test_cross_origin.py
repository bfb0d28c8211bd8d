"""Embedding from store origins and authenticating sockets, in process: CORS on the conversation routes for
`KEFU_HTTP_ALLOWED_ORIGINS` only, the sockets' Origin checks, and the first-frame `auth` protocol that keeps
tokens out of socket URLs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from server.app import create_app
from server.channels import frames
from server.operators.accounts import COOKIE_NAME
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever
from tests.server.console_support import login, say, start_chat
from tests.services import TEST_IDENTITY_SECRET
from tests.sockets import authenticate, chat_socket, operator_socket

pytestmark = pytest.mark.integration

STORE = "https://shop.example"
FOREIGN = "https://evil.example"
OWN = "http://testserver"  # TestClient's host


@pytest.fixture
def client(store_url: str, accounts: dict[str, str]) -> Iterator[TestClient]:
    settings = Settings(database_url=store_url, identity_secret=TEST_IDENTITY_SECRET,
                        http_allowed_origins=f"{STORE}/, https://other-shop.example")
    runtime = build_runtime(settings, retriever=KeywordRetriever(), warm=False)
    with TestClient(create_app(settings, runtime=runtime)) as c:
        yield c
    runtime.close()


def refused(ws, code: str, close_code: int) -> None:
    """The socket got an `error` frame `code`, then was closed with `close_code`."""
    frame = ws.receive_json()
    assert frame["type"] == "error" and frame["code"] == code, frame
    with pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    assert closed.value.code == close_code


# ------------------------------------------------------------------------------------------------- CORS


def preflight(client: TestClient, origin: str, path: str = "/api/conversations", headers: str = "content-type"):
    return client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                         "Access-Control-Request-Headers": headers})


def test_an_allowed_store_origin_passes_the_preflight_without_credentials(client: TestClient) -> None:
    for path in ("/api/conversations", f"/api/conversations/{'a' * 32}/messages"):
        r = preflight(client, STORE, path, "authorization,content-type")
        assert r.status_code == 200, r.text
        assert r.headers["access-control-allow-origin"] == STORE
        assert {"GET", "POST"} <= {m.strip() for m in r.headers["access-control-allow-methods"].split(",")}
        allowed = r.headers["access-control-allow-headers"].lower()
        assert "authorization" in allowed and "content-type" in allowed
        assert "access-control-allow-credentials" not in r.headers  # bearer tokens, never cookies


def test_a_foreign_origin_is_refused_at_the_preflight_in_the_error_shape(client: TestClient) -> None:
    r = preflight(client, FOREIGN)
    assert r.status_code == 400 and r.json()["error"]["code"] == "cors_refused"
    assert "access-control-allow-origin" not in r.headers
    r = preflight(client, STORE, headers="content-type,x-anything")  # only the headers the widget needs
    assert r.status_code == 400 and "headers" in r.json()["error"]["message"]  # a failed preflight blocks the call


def test_simple_requests_carry_cors_headers_only_for_allowed_origins(client: TestClient) -> None:
    r = client.post("/api/conversations", json={"channel": "web", "language": "en"}, headers={"Origin": STORE})
    assert r.status_code == 201 and r.headers["access-control-allow-origin"] == STORE
    cid, token = r.json()["conversation_id"], r.json()["token"]
    events = client.get(f"/api/conversations/{cid}/events", headers={"Origin": STORE,
                                                                      "Authorization": f"Bearer {token}"})
    assert events.status_code == 200 and events.headers["access-control-allow-origin"] == STORE
    assert "retry-after" in events.headers["access-control-expose-headers"].lower()
    foreign = client.get(f"/api/conversations/{cid}/events", headers={"Origin": FOREIGN,
                                                                       "Authorization": f"Bearer {token}"})
    assert "access-control-allow-origin" not in foreign.headers  # the browser keeps the answer from the page
    # errors are readable by the store page too (the widget shows them)
    bad = client.get(f"/api/conversations/{cid}/events", headers={"Origin": STORE})
    assert bad.status_code == 401 and bad.headers["access-control-allow-origin"] == STORE


def test_the_operator_api_stays_same_origin(client: TestClient, accounts) -> None:
    op = login(client, accounts["operator"])
    assert preflight(client, STORE, "/api/operator/login").status_code == 405  # no CORS there at all
    r = client.get("/api/operator/me", headers={**op, "Origin": STORE})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers


# -------------------------------------------------------------------------------------- socket origins


@pytest.mark.parametrize("origin", [STORE, "https://other-shop.example", OWN, None])
def test_the_chat_socket_accepts_store_pages_its_own_pages_and_non_browsers(client: TestClient, origin) -> None:
    cid, token = start_chat(client, "C00003", "en")
    headers = {"origin": origin} if origin else {}
    with client.websocket_connect(f"/ws/chat/{cid}", headers=headers) as ws:
        assert authenticate(ws, token) == {"type": "ready", "conversation_id": cid}


@pytest.mark.parametrize("origin", [FOREIGN, "null", "https://shop.example.evil.example", "http://shop.example"])
def test_the_chat_socket_refuses_other_origins_before_anything_else(client: TestClient, origin: str) -> None:
    cid, _ = start_chat(client, "C00003", "en")
    with client.websocket_connect(f"/ws/chat/{cid}", headers={"origin": origin}) as ws:
        refused(ws, "bad_origin", 4403)  # without waiting for an auth frame


def test_the_operator_socket_accepts_only_its_own_pages(client: TestClient, accounts) -> None:
    token = login(client, accounts["operator"])["Authorization"][7:]
    for origin in (STORE, FOREIGN):  # an allowed store origin is still not the console
        with operator_socket(client, token, headers={"origin": origin}) as ws:
            refused(ws, "bad_origin", 4403)
    with operator_socket(client, token, headers={"origin": OWN}) as ws:
        assert ws.receive_json()["type"] == "hello"


# ------------------------------------------------------------------------------------ the auth frame


def test_ready_then_frames_and_a_reconnect_resumes(client: TestClient) -> None:
    cid, token = start_chat(client, "C00003", "en")
    with chat_socket(client, cid, token) as ws:
        ws.send_json({"type": "user_message", "text": "hello", "client_msg_id": "m1"})
        while (frame := ws.receive_json())["type"] != "bot_message":
            pass
        seen = frame["seq"]
    say(client, cid, token, "What is your return policy?")  # said while the socket was away
    with chat_socket(client, cid, token) as ws:
        ws.send_json({"type": "resume", "after": seen})
        replay = [ws.receive_json(), ws.receive_json()]
    assert [f["type"] for f in replay] == ["user_message", "bot_message"] and replay[0]["seq"] > seen


@pytest.mark.parametrize("first", [
    {"type": "user_message", "text": "hi"},
    {"type": "resume", "after": 0},
    {"type": "auth"},
    {"type": "auth", "token": ""},
    "{not json",
    b"\x00\x01",
], ids=["message", "resume", "no-token", "empty-token", "not-json", "binary"])
def test_any_other_first_frame_is_not_authenticated(client: TestClient, first: dict | str | bytes) -> None:
    cid, _ = start_chat(client, "C00003", "en")
    with client.websocket_connect(f"/ws/chat/{cid}") as ws:
        if isinstance(first, dict):
            ws.send_json(first)
        elif isinstance(first, str):
            ws.send_text(first)
        else:
            ws.send_bytes(first)
        refused(ws, "not_authenticated", 4401)


def test_wrong_tokens_and_unknown_conversations_are_refused(client: TestClient) -> None:
    cid, token = start_chat(client, "C00003", "en")
    other_cid, other_token = start_chat(client, "C00004", "en")
    for conversation, tok, code, close in (
        (cid, "forged", "invalid_token", 4403),
        (cid, other_token, "invalid_token", 4403),  # a token opens its own conversation only
        ("f" * 32, token, "unknown_conversation", 4404),
        ("not-an-id", token, "unknown_conversation", 4404),
    ):
        with client.websocket_connect(f"/ws/chat/{conversation}") as ws:
            ws.send_json({"type": "auth", "token": tok})
            refused(ws, code, close)
    assert other_cid != cid


def test_a_token_in_the_url_is_refused_even_when_right(client: TestClient) -> None:
    cid, token = start_chat(client, "C00003", "en")
    with client.websocket_connect(f"/ws/chat/{cid}?token={token}") as ws:
        frame = ws.receive_json()
        assert frame["code"] == "token_in_url" and "first frame" in frame["message"]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4400


def test_a_socket_that_never_authenticates_is_closed(client: TestClient, accounts,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(frames, "AUTH_TIMEOUT_S", 0.3)
    cid, _ = start_chat(client, "C00003", "en")
    with client.websocket_connect(f"/ws/chat/{cid}") as ws:
        refused(ws, "auth_timeout", 4408)
    login(client, accounts["operator"])  # empties the cookie jar: neither cookie nor header
    with client.websocket_connect("/ws/operator") as ws:
        refused(ws, "auth_timeout", 4408)


def test_the_operator_socket_authenticates_by_cookie_header_or_first_frame(client: TestClient, accounts) -> None:
    token = login(client, accounts["operator"])["Authorization"][7:]
    with operator_socket(client, token) as ws:
        assert ws.receive_json()["operator"]["username"] == accounts["operator"]
    with client.websocket_connect("/ws/operator", headers={"Authorization": f"Bearer {token}"}) as ws:
        assert ws.receive_json()["type"] == "hello"
    client.cookies.set(COOKIE_NAME, token)
    with client.websocket_connect("/ws/operator", headers={"origin": OWN}) as ws:
        assert ws.receive_json()["type"] == "hello"
    client.cookies.clear()
