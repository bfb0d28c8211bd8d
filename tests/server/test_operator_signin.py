"""Signing in to the operator console as a client sees it (cookie and bearer token, throttling, validation),
and role checks on every operator route and socket, in process over a small SQLite demo store."""

from __future__ import annotations

import time
import uuid

import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from server.app import create_app
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever
from tests.server.console_support import PASSWORD, login, register_accounts, routes, start_chat
from tests.services import TEST_IDENTITY_SECRET

pytestmark = pytest.mark.integration

# Routes any signed-in account may use; everything else under /api/operator needs operator or supervisor.
PUBLIC = {("POST", "/api/operator/login")}
ANY_ROLE = {("POST", "/api/operator/logout"), ("GET", "/api/operator/me"),
            ("GET", "/api/operator/customers/{customer_id}/profile")}  # a customer's profile: every console role
# The supervisor view: operators are refused as well as marketers.
SUPERVISOR_ONLY = {("GET", "/api/operator/stats")}
# Marketing: marketers and supervisors; operators are refused.
MARKETING = {("POST", "/api/operator/campaigns/{campaign_id}/copy"), ("GET", "/api/operator/marketing/rules"),
             ("GET", "/api/operator/marketing/recommendations"), ("POST", "/api/operator/marketing/ask"),
             ("POST", "/api/operator/marketing/confirm"), ("GET", "/api/operator/campaigns/{campaign_id}/readout"),
             *((method, f"/api/operator/campaigns{path}") for method, path in (
                 ("GET", ""), ("POST", ""), ("GET", "/{campaign_id}"), ("PATCH", "/{campaign_id}"),
                 ("POST", "/{campaign_id}/pause"), ("POST", "/{campaign_id}/resume"), ("POST", "/{campaign_id}/end"))),
             *((method, f"/api/operator/campaigns/{{campaign_id}}/threshold{path}") for method, path in (
                 ("GET", ""), ("POST", "/revert"), ("POST", "/pin"), ("POST", "/unpin"))),
             *((method, f"/api/operator/experiments{path}") for method, path in (
                 ("GET", ""), ("POST", ""), ("GET", "/{experiment_id}"), ("POST", "/{experiment_id}/stop"),
                 ("GET", "/{experiment_id}/readout"))),
             ("GET", "/api/operator/identity/groups"), ("GET", "/api/operator/marketing/churn"),
             ("POST", "/api/operator/marketing/forecast")}


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


def at(client: TestClient, ip: str) -> TestClient:
    """Another client of the same app, calling from `ip`."""
    return TestClient(client.app, client=(ip, 40000))


def attempt(client: TestClient, username: str, password: str = "guess-guess"):
    return client.post("/api/operator/login", json={"username": username, "password": password})


def test_a_strangers_guesses_never_lock_the_operator_out(client: TestClient, store_url: str) -> None:
    username = register_accounts(store_url, {"operator": "V"})["operator"]
    stranger, office = at(client, "203.0.113.7"), at(client, "198.51.100.20")
    answers = [attempt(stranger, username) for _ in range(5)]
    r = attempt(stranger, username, PASSWORD)  # even the right password is refused from the stranger's address
    assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_attempts"
    answers += [attempt(stranger, username) for _ in range(14)]  # 20 tries in all (the per-address cap)
    assert [r.status_code for r in answers] == [401] * 5 + [429] * 14
    refused = answers[-1]
    assert refused.json()["error"]["code"] == "too_many_attempts"
    assert "try again in 15 minutes" in refused.json()["error"]["message"]
    assert 14 * 60 <= int(refused.headers["Retry-After"]) <= 15 * 60
    assert "set-cookie" not in refused.headers

    r = attempt(office, username, PASSWORD)  # the operator, from the office: signed in as if nothing happened
    assert r.status_code == 200 and r.json()["operator"]["username"] == username
    colleague = register_accounts(store_url, {"operator": "W"})["operator"]
    assert attempt(at(client, "203.0.113.77"), username, PASSWORD).status_code == 200  # any other address too
    r = attempt(stranger, colleague, PASSWORD)  # the stranger's address has used up its per-address cap now
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited" and int(r.headers["Retry-After"]) >= 1


def test_unknown_usernames_are_throttled_exactly_like_real_ones(client: TestClient, store_url: str) -> None:
    real = register_accounts(store_url, {"operator": "V"})["operator"]
    ghost = f"ghost-{uuid.uuid4().hex[:6]}"
    guesser = at(client, "203.0.113.8")
    answers = {name: [attempt(guesser, name) for _ in range(7)] for name in (real, ghost)}
    for name in (real, ghost):
        assert [r.status_code for r in answers[name]] == [401] * 5 + [429] * 2
    assert answers[real][0].json() == answers[ghost][0].json()
    assert answers[real][-1].json() == answers[ghost][-1].json()  # same code, same message: nothing revealed
    assert answers[real][-1].headers.keys() == answers[ghost][-1].headers.keys()


def test_a_success_starts_the_count_afresh(client: TestClient, store_url: str) -> None:
    username = register_accounts(store_url, {"operator": "V"})["operator"]
    typist = at(client, "203.0.113.9")
    assert [attempt(typist, username).status_code for _ in range(4)] == [401] * 4
    assert attempt(typist, username, PASSWORD).status_code == 200
    assert [attempt(typist, username).status_code for _ in range(5)] == [401] * 5
    assert attempt(typist, username).status_code == 429


def test_the_window_moves_on(store_url: str) -> None:
    username = register_accounts(store_url, {"operator": "V"})["operator"]  # cheaply hashed: attempts are quick
    settings = Settings(database_url=store_url, identity_secret=TEST_IDENTITY_SECRET,
                        limits_login_failures="5 per 2 seconds")
    runtime = build_runtime(settings, retriever=KeywordRetriever(), warm=False)
    try:
        with TestClient(create_app(settings, runtime=runtime), client=("203.0.113.10", 40000)) as c:
            assert [attempt(c, username).status_code for _ in range(6)] == [401] * 5 + [429]
            r = attempt(c, username, PASSWORD)
            assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 2
            time.sleep(int(r.headers["Retry-After"]) + 0.2)
            assert attempt(c, username, PASSWORD).status_code == 200
    finally:
        runtime.close()


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
            path = (template.replace("{conversation_id}", cid).replace("{campaign_id}", "new_customer")
                    .replace("{customer_id}", "C00001"))
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
                    for allowed in (marketer, supervisor):  # past the role check (a body it refuses: 422)
                        status = client.request(method, path, json=body, headers=allowed).status_code
                        assert status in (200, 201, 422), (method, path, status)
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
    assert r.headers["referrer-policy"] == "same-origin"  # the console's own POSTs keep their Origin
    for asset in ("/static/console.js", "/static/console.css"):
        assert client.get(asset).status_code == 200
    script = client.get("/static/console.js").text
    for sink in (".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
