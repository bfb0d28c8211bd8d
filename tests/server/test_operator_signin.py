"""Signing in to the operator console as a client sees it (cookie and bearer token, lock-out, validation),
and role checks on every operator route and socket, in process over a small SQLite demo store."""

from __future__ import annotations

import uuid

import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.server.console_support import PASSWORD, login, register_accounts, routes, start_chat

pytestmark = pytest.mark.integration

# Routes any signed-in account may use; everything else under /api/operator needs operator or supervisor.
PUBLIC = {("POST", "/api/operator/login")}
ANY_ROLE = {("POST", "/api/operator/logout"), ("GET", "/api/operator/me")}
# The supervisor view: operators are refused as well as marketers.
SUPERVISOR_ONLY = {("GET", "/api/operator/stats")}
# Marketing: marketers and supervisors; operators are refused.
MARKETING = {("POST", "/api/operator/campaigns/{campaign_id}/copy")}


# --------------------------------------------------------------------------------------------- sign-in


def test_login_sets_a_strict_httponly_cookie_and_returns_a_bearer_token(client: TestClient, accounts) -> None:
    r = client.post("/api/operator/login", json={"username": accounts["operator"].upper(), "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["operator"] == {
        "id": body["operator"]["id"],
        "username": accounts["operator"],
        "display_name": "Wang Fang",
        "role": "operator",
    }
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("kefu_operator=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/" in cookie and "Max-Age=43200" in cookie
    assert PASSWORD not in r.text
    assert client.get("/api/operator/me").json()["operator"]["username"] == accounts["operator"]  # by cookie
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/api/operator/me", headers=bearer).status_code == 200

    assert client.post("/api/operator/logout", headers=bearer).status_code == 200
    r = client.get("/api/operator/me", headers=bearer)
    assert r.status_code == 401 and r.json()["error"]["code"] == "session_expired"


def test_wrong_password_and_unknown_username_get_the_same_answer(client: TestClient, accounts) -> None:
    wrong = client.post("/api/operator/login", json={"username": accounts["supervisor"], "password": "nope-nope"})
    unknown = client.post("/api/operator/login", json={"username": "nobody-here", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json()
        == unknown.json()
        == {"error": {"code": "invalid_credentials", "message": "Wrong username or password."}}
    )
    assert "set-cookie" not in wrong.headers
    # the failure was counted; a right password clears the count
    login(client, accounts["supervisor"])


def test_five_failures_lock_the_account_even_for_the_right_password(client: TestClient, store_url: str) -> None:
    username = register_accounts(store_url, {"operator": "V"})["operator"]
    for _ in range(4):
        r = client.post("/api/operator/login", json={"username": username, "password": "guess-guess"})
        assert r.status_code == 401
    r = client.post("/api/operator/login", json={"username": username, "password": "guess-guess"})
    assert r.status_code == 429 and r.json()["error"]["code"] == "account_locked"
    assert "15 more minutes" in r.json()["error"]["message"]
    r = client.post("/api/operator/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 429 and r.json()["error"]["code"] == "account_locked"

    # an unknown username locks the same way, so a lock-out does not reveal that an account exists
    ghost = f"ghost-{uuid.uuid4().hex[:6]}"
    codes = [
        client.post("/api/operator/login", json={"username": ghost, "password": "guess-guess"}).status_code
        for _ in range(6)
    ]
    assert codes == [401, 401, 401, 401, 429, 429]


def test_login_input_is_validated(client: TestClient) -> None:
    r = client.post("/api/operator/login", json={"username": "a"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
    r = client.post("/api/operator/login", content=b"{nope", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "malformed_json"


# ------------------------------------------------------------------------------------------ role checks


def test_every_operator_route_refuses_anonymous_and_wrong_role(client: TestClient, accounts) -> None:
    """Walks the route table, so a route added later without protection fails here."""
    cid, _ = start_chat(client)
    marketer = login(client, accounts["marketer"])
    operator = login(client, accounts["operator"])
    supervisor = login(client, accounts["supervisor"])
    checked, supervisor_only, marketing = 0, set(), set()
    for route, template, methods in routes(client.app):
        if isinstance(route, APIRoute) and template.startswith("/api/operator"):
            path = template.replace("{conversation_id}", cid).replace("{campaign_id}", "new_customer")
            for method in methods:
                if (method, template) in PUBLIC:
                    continue
                body = {"text": "hi"} if method == "POST" else None
                anonymous = client.request(method, path, json=body)
                assert anonymous.status_code == 401, (method, path, anonymous.text)
                assert anonymous.json()["error"]["code"] == "not_signed_in"
                forged = client.request(method, path, json=body, headers={"Authorization": "Bearer forged"})
                assert forged.status_code == 401, (method, path)
                if (method, template) not in ANY_ROLE:
                    wrong = operator if (method, template) in MARKETING else marketer
                    denied = client.request(method, path, json=body, headers=wrong)
                    assert denied.status_code == 403, (method, path, denied.text)
                    assert denied.json()["error"]["code"] == "forbidden_role"
                if (method, template) in SUPERVISOR_ONLY:
                    denied = client.request(method, path, json=body, headers=operator)
                    assert denied.status_code == 403, (method, path, denied.text)
                    assert client.request(method, path, json=body, headers=supervisor).status_code == 200
                    supervisor_only.add((method, template))
                if (method, template) in MARKETING:
                    for allowed in (marketer, supervisor):
                        assert client.request(method, path, json=body, headers=allowed).status_code == 200
                    marketing.add((method, template))
                checked += 1
        elif isinstance(route, APIWebSocketRoute) and template.startswith("/ws/operator"):
            marketer_token = marketer["Authorization"][7:]
            for query, headers, first, close_code in (
                ("", {}, {"type": "ping"}, 4401),
                ("", {}, {"type": "auth", "token": "forged"}, 4401),
                ("", {}, {"type": "auth", "token": marketer_token}, 4403),
                ("", marketer, None, 4403),
                (f"?token={operator['Authorization'][7:]}", {}, None, 4400),  # never in the URL, even a right one
            ):
                with client.websocket_connect(template + query, headers=headers) as ws:
                    if first is not None:
                        ws.send_json(first)
                    assert ws.receive_json()["type"] == "error"
                    with pytest.raises(WebSocketDisconnect) as closed:
                        ws.receive_json()
                    assert closed.value.code == close_code, (query, headers, first)
            checked += 1
    assert checked >= 14 and supervisor_only == SUPERVISOR_ONLY and marketing == MARKETING
    assert client.get("/api/operator/conversations", headers=operator).status_code == 200


def test_console_page_is_served_with_a_strict_csp(client: TestClient) -> None:
    r = client.get("/console")
    assert r.status_code == 200 and 'data-testid="login-form"' in r.text
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    for asset in ("/static/console.js", "/static/console.css"):
        assert client.get(asset).status_code == 200
    script = client.get("/static/console.js").text
    for sink in (".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
