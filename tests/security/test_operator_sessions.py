"""Operator sessions as an attacker and an administrator meet them: the session cookie changes nothing unless
the request comes from a page of this server (Origin), the cookie is `Secure` behind TLS, a disabled account
is signed out everywhere and cannot sign in, and open console sockets close (`session_ended`, 4401) when their
session ends — at once through pub/sub, across workers through Redis, or by the periodic re-check."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from server.app import create_app
from server.channels import operator_ws
from server.db.engine import make_engine, make_session_factory
from server.db.operators import OperatorRepository
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever
from tests.server.console_support import (
    PASSWORD,
    cheap_auth,
    login,
    op_url,
    receive_until,
    register_accounts,
    routes,
    small_store,
    start_chat,
)
from tests.services import TEST_IDENTITY_SECRET, redis_url

pytestmark = pytest.mark.integration

HERE = {"Origin": "http://testserver"}  # the TestClient's Host is `testserver`
EVIL = {"Origin": "https://evil.example"}
KEFU = str(Path(sys.executable).with_name("kefu"))
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return small_store(tmp_path_factory, "opsessions", customers=20, orders=120)


def settings_for(store_url: str, **extra: object) -> Settings:
    return Settings(database_url=store_url, identity_secret=TEST_IDENTITY_SECRET, **extra)


@pytest.fixture
def app(store_url: str) -> Iterator[FastAPI]:
    settings = settings_for(store_url)
    runtime = build_runtime(settings, retriever=KeywordRetriever(), warm=False)
    yield create_app(settings, runtime=runtime)
    runtime.close()


def account(store_url: str, role: str = "operator") -> str:
    return register_accounts(store_url, {role: role.title()})[role]


def change_outside(store_url: str, what: str, username: str) -> None:
    """What `kefu operator passwd|disable` does, from outside the server's process (no announcement)."""
    engine = make_engine(store_url)
    try:
        auth = cheap_auth(OperatorRepository(make_session_factory(engine)))
        auth.change_password(username, PASSWORD + " new") if what == "password" else auth.disable(username)
    finally:
        engine.dispose()


def browser_signin(client: TestClient, username: str) -> None:
    """Sign in as the console page does: the cookie stays in the client's jar."""
    r = client.post("/api/operator/login", json={"username": username, "password": PASSWORD}, headers=HERE)
    assert r.status_code == 200, r.text


def expect_session_ended(ws: WebSocketTestSession, within_s: float, started: float) -> None:
    frame = receive_until(ws, lambda f: f["type"] == "error")[-1]
    assert frame["code"] == "session_ended" and "sign in again" in frame["message"]
    with pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    assert closed.value.code == 4401
    assert time.monotonic() - started < within_s


def ping(ws: WebSocketTestSession) -> None:
    ws.send_json({"type": "ping"})
    receive_until(ws, lambda f: f["type"] == "pong")


# ------------------------------------------------------------------------------------------ Origin


def test_a_cookie_changes_nothing_from_another_site_or_without_an_origin(app: FastAPI, store_url: str) -> None:
    with TestClient(app) as browser:
        browser_signin(browser, account(store_url))
        cid, _ = start_chat(browser, "C00003")
        for headers in (EVIL, {}, {"Origin": "null"}, {"Referer": "https://evil.example/page"},
                        {"Origin": "http://testserver.evil.example"}):
            r = browser.post(op_url(cid, "takeover"), headers=headers)
            assert r.status_code == 403, (headers, r.text)
            assert r.json() == {"error": {"code": "bad_origin", "message": r.json()["error"]["message"]}}
            assert "page of this server" in r.json()["error"]["message"]
            r = browser.post(op_url(cid, "notes"), json={"text": "planted"}, headers=headers)
            assert r.status_code == 403 and r.json()["error"]["code"] == "bad_origin"
        detail = browser.get(op_url(cid))  # reading needs no Origin
        assert detail.status_code == 200
        assert detail.json()["conversation"]["handoff"] != "operator" and detail.json()["notes"] == []  # unchanged
        assert browser.post("/api/operator/logout", headers=EVIL).status_code == 403
        assert browser.get("/api/operator/me").status_code == 200  # a forged sign-out did not sign us out

        r = browser.post(op_url(cid, "takeover"), headers=HERE)
        assert r.status_code == 200 and r.json()["taken_over"] is True
        referer = {"Referer": "http://testserver/console"}
        r = browser.post(op_url(cid, "notes"), json={"text": "by referer"}, headers=referer)
        assert r.status_code == 201  # no Origin: the Referer names this server

        tool = TestClient(app)  # no cookie: a bearer token is no ambient credential, Origin does not matter
        bearer = login(tool, account(store_url, "supervisor"))
        r = tool.post(op_url(cid, "notes"), json={"text": "by a tool"}, headers={**bearer, **EVIL})
        assert r.status_code == 201
        r = tool.post(op_url(cid, "notes"), json={"text": "by a tool"}, headers=bearer)
        assert r.status_code == 201


def test_every_cookie_route_that_changes_something_checks_the_origin(app: FastAPI, store_url: str) -> None:
    """Walks the route table, so a state-changing operator or marketing route added later is covered too."""
    with TestClient(app) as browser:
        browser_signin(browser, account(store_url, "supervisor"))
        cid, _ = start_chat(browser, "C00004")
        checked = set()
        for route, template, methods in routes(app):
            if not isinstance(route, APIRoute) or not template.startswith("/api/operator"):
                continue
            if template == "/api/operator/login":
                continue
            path = template.replace("{conversation_id}", cid).replace("{campaign_id}", "new_customer")
            for method in methods - {"GET", "HEAD", "OPTIONS"}:
                r = browser.request(method, path, json={"text": "hi"}, headers=EVIL)
                assert r.status_code == 403 and r.json()["error"]["code"] == "bad_origin", (method, path, r.text)
                checked.add((method, template))
        assert {("POST", "/api/operator/logout"), ("POST", "/api/operator/campaigns/{campaign_id}/copy"),
                ("POST", "/api/operator/conversations/{conversation_id}/takeover")} <= checked
        assert len(checked) >= 7
        assert browser.get("/api/operator/me").status_code == 200


def test_login_from_another_site_is_refused(app: FastAPI, store_url: str) -> None:
    username = account(store_url)
    with TestClient(app) as browser:
        r = browser.post("/api/operator/login", json={"username": username, "password": PASSWORD}, headers=EVIL)
        assert r.status_code == 403 and r.json()["error"]["code"] == "bad_origin"
        assert "set-cookie" not in r.headers
        r = browser.post("/api/operator/login", json={"username": username, "password": PASSWORD})  # a tool
        assert r.status_code == 200


# ------------------------------------------------------------------------------------------ Secure


def test_the_cookie_is_secure_over_https_or_when_the_setting_says_so(store_url: str) -> None:
    username = account(store_url)
    body = {"username": username, "password": PASSWORD}

    def cookie(settings: Settings, base_url: str) -> tuple[str, str]:
        runtime = build_runtime(settings, retriever=KeywordRetriever(), warm=False)
        try:
            with TestClient(create_app(settings, runtime=runtime), base_url=base_url) as c:
                signed_in = c.post("/api/operator/login", json=body)
                assert signed_in.status_code == 200, signed_in.text
                origin = {"Origin": base_url, "Authorization": f"Bearer {signed_in.json()['token']}"}
                signed_out = c.post("/api/operator/logout", headers=origin)
                assert signed_out.status_code == 200, signed_out.text
                return signed_in.headers["set-cookie"], signed_out.headers["set-cookie"]
        finally:
            runtime.close()

    plain = settings_for(store_url)
    assert not plain.http.secure_cookies
    for set_cookie in cookie(plain, "http://testserver"):
        assert "secure" not in set_cookie.lower()
    for set_cookie in cookie(plain, "https://testserver"):
        assert "; Secure" in set_cookie
    for set_cookie in cookie(settings_for(store_url, http_secure_cookies=True), "http://testserver"):
        assert "; Secure" in set_cookie  # TLS ends at a proxy: the app sees http, the browser https
    # reading KEFU_HTTP_SECURE_COOKIES: tests/server/test_settings.py


# ----------------------------------------------------------------------------------------- disabling


def test_a_disabled_account_is_signed_out_everywhere_and_cannot_sign_in(app: FastAPI, store_url: str) -> None:
    username = account(store_url)
    with TestClient(app) as browser:
        browser_signin(browser, username)
        tool = TestClient(app)
        bearer = login(tool, username)
        change_outside(store_url, "disable", username)
        for r in (browser.get("/api/operator/me"), tool.get("/api/operator/me", headers=bearer)):
            assert r.status_code == 401 and r.json()["error"]["code"] == "session_expired"
        refused = tool.post("/api/operator/login", json={"username": username, "password": PASSWORD})
        unknown = tool.post("/api/operator/login", json={"username": "no-such-one", "password": PASSWORD})
        assert refused.status_code == unknown.status_code == 401 and refused.json() == unknown.json()


# ------------------------------------------------------------------------------------------- sockets


def test_signing_out_closes_that_sessions_sockets_at_once(app: FastAPI, store_url: str, monkeypatch) -> None:
    monkeypatch.setattr(operator_ws, "SESSION_CHECK_SECONDS", 30.0)  # only the announcement can be this quick
    username, colleague = account(store_url), account(store_url)
    with TestClient(app) as c:
        first, second, other = login(c, username), login(c, username), login(c, colleague)
        with (
            c.websocket_connect("/ws/operator", headers=first) as ws_first,
            c.websocket_connect("/ws/operator", headers=second) as ws_second,
            c.websocket_connect("/ws/operator", headers=other) as ws_other,
        ):
            for ws in (ws_first, ws_second, ws_other):
                assert ws.receive_json()["type"] == "hello"
            started = time.monotonic()
            assert c.post("/api/operator/logout", headers=first).status_code == 200
            expect_session_ended(ws_first, 3.0, started)
            ping(ws_second)  # the same operator's other session is still signed in
            ping(ws_other)


@pytest.mark.parametrize("what", ["password", "disable"])
def test_a_change_made_elsewhere_closes_the_sockets_at_the_periodic_check(
    app: FastAPI, store_url: str, monkeypatch, what: str
) -> None:
    """`kefu operator passwd|disable` without Redis cannot reach the server: the re-check is the backstop."""
    monkeypatch.setattr(operator_ws, "SESSION_CHECK_SECONDS", 0.3)
    username, colleague = account(store_url), account(store_url)
    with TestClient(app) as c:
        mine, theirs = login(c, username), login(c, colleague)
        with (
            c.websocket_connect("/ws/operator", headers=mine) as ws,
            c.websocket_connect("/ws/operator", headers=theirs) as ws_other,
        ):
            assert ws.receive_json()["type"] == "hello" and ws_other.receive_json()["type"] == "hello"
            started = time.monotonic()
            change_outside(store_url, what, username)
            expect_session_ended(ws, 3.0, started)
            time.sleep(0.5)  # a few more checks: the colleague stays connected
            ping(ws_other)


def test_across_workers_sessions_end_through_redis(store_url: str, monkeypatch) -> None:
    """Production shape: a socket on worker A closes at once when its session ends on worker B, or when
    `kefu operator disable` runs with Redis configured."""
    url = redis_url()
    monkeypatch.setattr(operator_ws, "SESSION_CHECK_SECONDS", 30.0)
    prefix = f"kefu-test-{uuid.uuid4().hex[:8]}:"
    settings = settings_for(store_url, redis_url=url, redis_prefix=prefix)
    runtimes = [build_runtime(settings, retriever=KeywordRetriever(), warm=False) for _ in range(2)]
    try:
        with (
            TestClient(create_app(settings, runtime=runtimes[0])) as worker_a,
            TestClient(create_app(settings, runtime=runtimes[1])) as worker_b,
        ):
            username = account(store_url)
            headers = login(worker_b, username)
            with worker_a.websocket_connect("/ws/operator", headers=headers) as ws:
                assert ws.receive_json()["type"] == "hello"
                started = time.monotonic()
                assert worker_b.post("/api/operator/logout", headers=headers).status_code == 200
                expect_session_ended(ws, 3.0, started)

            username = account(store_url)
            headers = login(worker_b, username)
            env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
            env.update({"KEFU_DATABASE_URL": store_url, "KEFU_REDIS_URL": url, "KEFU_REDIS_PREFIX": prefix,
                        "KEFU_LOG_LEVEL": "WARNING"})
            with worker_a.websocket_connect("/ws/operator", headers=headers) as ws:
                assert ws.receive_json()["type"] == "hello"
                r = subprocess.run([KEFU, "operator", "disable", username], env=env, capture_output=True, text=True,
                                   timeout=120, cwd=ROOT)
                assert r.returncode == 0, r.stderr
                expect_session_ended(ws, 3.0, time.monotonic())
            for worker in (worker_a, worker_b):
                worker.portal.call(worker.app.state.runtime.pubsub.aclose)
    finally:
        for runtime in runtimes:
            runtime.close()
