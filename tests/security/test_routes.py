"""Every route of the app, walked from `create_app().routes`: public ones are listed here by name; a
conversation's routes need that conversation's token; console routes need a signed-in account of the right
role. A route added later that fits none of these fails here until it is classified — so none can be added
unguarded."""

from __future__ import annotations

import pytest
from fastapi.routing import APIWebSocketRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount
from starlette.websockets import WebSocketDisconnect

from tests.security.sockets import open_chat, open_operator
from tests.server.console_support import routes, start_chat

pytestmark = pytest.mark.integration

# Routes anyone may call: health, pages and their scripts, the schema, starting a conversation, signing in.
PUBLIC_PATHS = {"/healthz", "/readyz", "/metrics", "/", "/console", "/widget.js", "/static/console.js",
                "/static/demo.js", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc",
                "/api/conversations", "/api/operator/login", "/api/operator/logout", "/api/demo/customers"}
# Console routes by the roles they let through (everything else under /api/operator is operator/supervisor).
STAFF = ("operator", "supervisor")
ROLES: dict[tuple[str, str], tuple[str, ...]] = {
    ("GET", "/api/operator/me"): ("operator", "supervisor", "marketer"),
    ("GET", "/api/operator/stats"): ("supervisor",),
    ("POST", "/api/operator/campaigns/{campaign_id}/copy"): ("marketer", "supervisor"),
    ("GET", "/api/operator/marketing/rules"): ("marketer", "supervisor"),
    ("GET", "/api/operator/marketing/recommendations"): ("marketer", "supervisor"),
    ("POST", "/api/operator/marketing/ask"): ("marketer", "supervisor"),
    ("POST", "/api/operator/marketing/confirm"): ("marketer", "supervisor"),
    ("POST", "/api/operator/marketing/forecast"): ("marketer", "supervisor"),
    ("GET", "/api/operator/campaigns/{campaign_id}/readout"): ("marketer", "supervisor"),
    **{(method, f"/api/operator/campaigns{path}"): ("marketer", "supervisor") for method, path in (
        ("GET", ""), ("POST", ""), ("GET", "/{campaign_id}"), ("PATCH", "/{campaign_id}"),
        ("POST", "/{campaign_id}/pause"), ("POST", "/{campaign_id}/resume"), ("POST", "/{campaign_id}/end"))},
    **{(method, f"/api/operator/campaigns/{{campaign_id}}/threshold{path}"): ("marketer", "supervisor")
       for method, path in (("GET", ""), ("POST", "/revert"), ("POST", "/pin"), ("POST", "/unpin"))},
    **{(method, f"/api/operator/experiments{path}"): ("marketer", "supervisor") for method, path in (
        ("GET", ""), ("POST", ""), ("GET", "/{experiment_id}"), ("POST", "/{experiment_id}/stop"),
        ("GET", "/{experiment_id}/readout"))},
    ("GET", "/api/operator/identity/groups"): ("marketer", "supervisor"),
    ("GET", "/api/operator/customers/{customer_id}/profile"): ("operator", "supervisor", "marketer"),
    ("GET", "/api/operator/marketing/churn"): ("marketer", "supervisor"),
}
ALL_ROLES = ("operator", "supervisor", "marketer")
# Routes only the store's backend calls, with its API key (KEFU_IDENTITY_API_KEYS).
STORE_BACKEND_PATHS = {"/api/identifiers"}


def concrete(template: str, cid: str) -> str:
    return (template.replace("{conversation_id}", cid).replace("{campaign_id}", "new_customer")
            .replace("{customer_id}", "C00001"))


def body_for(method: str, template: str = "") -> dict | None:
    """A valid body for the route, so that only the credential decides its answer."""
    if method != "POST":
        return None
    if template.endswith("/interactions"):
        return {"kind": "viewed", "product_id": "P0001"}
    return {"text": "hi"}


def classify(client: TestClient) -> dict[str, list[tuple[str, str]]]:
    """kind → [(method, template)]: public | conversation | console | chat_socket | console_socket | voice_socket
    (a phone line: opens its own conversation, the caller proven by the store's signature in the stream's `start`,
    as `POST /api/conversations`; tested in tests/server/test_voice_socket.py)."""
    kinds: dict[str, list[tuple[str, str]]] = {"public": [], "conversation": [], "console": [],
                                                "chat_socket": [], "console_socket": [], "voice_socket": [],
                                                "store_backend": []}
    unclassified = []
    for route, template, methods in routes(client.app):
        if isinstance(route, Mount):
            assert template == "/static", f"a new mount {template}: classify it here"
            continue
        if isinstance(route, APIWebSocketRoute):
            kind = {"/ws/chat/{conversation_id}": "chat_socket", "/ws/operator": "console_socket",
                    "/ws/voice": "voice_socket", "/ws/voice/pcm": "voice_socket"}.get(template)
            (kinds[kind] if kind else unclassified).append(("WS", template))
            continue
        for method in sorted(methods - {"HEAD"}):
            if template in PUBLIC_PATHS:
                kinds["public"].append((method, template))
            elif template.startswith("/api/conversations/{conversation_id}"):
                kinds["conversation"].append((method, template))
            elif template.startswith("/api/operator/"):
                kinds["console"].append((method, template))
            elif template in STORE_BACKEND_PATHS:
                kinds["store_backend"].append((method, template))
            else:
                unclassified.append((method, template))
    assert not unclassified, f"routes nobody classified (public, conversation or console?): {unclassified}"
    return kinds


def test_every_console_route_needs_a_session_of_the_right_role(client: TestClient, sessions) -> None:
    cid, token = start_chat(client)
    console = classify(client)["console"]
    assert len(console) >= 12
    for method, template in console:
        if template == "/api/operator/logout":
            continue
        path, body = concrete(template, cid), body_for(method, template)
        for headers, why in (({}, "no session"), ({"Authorization": "Bearer forged-session"}, "forged session"),
                             ({"Authorization": f"Bearer {token}"}, "a customer's conversation token"),
                             ({"Authorization": "Basic YWRtaW46YWRtaW4="}, "another scheme")):
            r = client.request(method, path, json=body, headers=headers)
            assert r.status_code == 401, (method, template, why, r.text)
            assert set(r.json()["error"]) == {"code", "message"}
        allowed = ROLES.get((method, template), STAFF)
        for role in ALL_ROLES:
            r = client.request(method, path, json=body, headers=sessions[role])
            if role in allowed:
                assert r.status_code not in (401, 403), (method, template, role, r.text)
            else:
                assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_role", (method, template, role)


def test_store_backend_routes_need_the_stores_api_key(client: TestClient, sessions) -> None:
    _, token = start_chat(client)
    routes_ = classify(client)["store_backend"]
    assert routes_
    body = {"customer_id": "C00001", "kind": "device", "value": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            "source": "sign_in"}
    for method, template in routes_:
        for headers in ({}, sessions["supervisor"], {"Authorization": f"Bearer {token}"}):
            r = client.request(method, template, json=body, headers=headers)
            assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key", (template, headers)


def test_every_conversation_route_needs_that_conversations_token(client: TestClient, sessions) -> None:
    cid, token = start_chat(client)
    other_cid, other_token = start_chat(client, customer="C00002")
    routes_ = classify(client)["conversation"]
    assert {t for _, t in routes_} >= {"/api/conversations/{conversation_id}/messages",
                                        "/api/conversations/{conversation_id}/events"}
    for method, template in routes_:
        path, body = concrete(template, cid), body_for(method, template)
        r = client.request(method, path, json=body)
        assert r.status_code == 401 and r.json()["error"]["code"] == "missing_token", (method, template)
        for headers, why in (({"Authorization": f"Bearer {other_token}"}, "another conversation's token"),
                             (sessions["supervisor"], "a supervisor's session"),
                             ({"Authorization": "Bearer " + token[:-1] + ("A" if token[-1] != "A" else "B")},
                              "a token one character off")):
            r = client.request(method, path, json=body, headers=headers)
            assert r.status_code == 403 and r.json()["error"]["code"] == "invalid_token", (method, template, why)
        r = client.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code < 300, (method, template, r.text)
    assert other_cid != cid


def refused(ws, close_code: int) -> None:
    frame = ws.receive_json()
    assert frame["type"] == "error" and set(frame) >= {"code", "message"}
    with pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    assert closed.value.code == close_code


def test_sockets_need_the_right_token(client: TestClient, sessions) -> None:
    kinds = classify(client)
    assert kinds["chat_socket"] and kinds["console_socket"]
    cid, token = start_chat(client)
    _, other_token = start_chat(client, customer="C00002")
    for bad, code in ((None, 4401), (other_token, 4403), (sessions["supervisor"]["Authorization"][7:], 4403),
                      ("x" * 500, 4403)):
        with open_chat(client, cid, bad) as ws:
            refused(ws, code)
    for bad, code in ((None, 4401), ("forged", 4401), (token, 4401), (sessions["marketer"]["Authorization"][7:], 4403)):
        with open_operator(client, bad) as ws:
            refused(ws, code)
    with open_operator(client, sessions["operator"]["Authorization"][7:]) as ws:
        assert ws.receive_json()["type"] == "hello"


def test_public_routes_answer_without_anything(client: TestClient) -> None:
    for method, template in classify(client)["public"]:
        if method == "GET":
            r = client.get(template)
            assert r.status_code not in (401, 403), (template, r.status_code)  # /readyz may say 503: warming
