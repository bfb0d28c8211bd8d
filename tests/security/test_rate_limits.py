"""Rate limits as a flooding client meets them: 429 with `Retry-After`, recovery once the window has passed,
and one IP's flood leaves another IP's conversation answered; the same counts hold on the socket, over
Redis across workers, and `KEFU_RATE_LIMITS=off` lifts them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.infra.rate_limits import RateLimited, RateLimits
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever
from tests.server.console_support import small_store
from tests.services import TEST_IDENTITY_SECRET, redis_url, signed
from tests.sockets import chat_socket

pytestmark = pytest.mark.integration

TIGHT = {
    "limits_conversation_ip": "4 per 2 seconds",
    "limits_message_ip": "6 per 2 seconds",
    "limits_message_conversation": "3 per 2 seconds",
    "limits_login_ip": "3 per 30 seconds",  # argon2 under load is slow: a short window could lapse mid-test
    "limits_sockets_per_ip": 2,
    "limits_socket_frames_per_s": 5,
    "limits_socket_frame_burst": 10,
}


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return small_store(tmp_path_factory, "limits", customers=20, orders=120)


@pytest.fixture
def app(store_url: str) -> Iterator[object]:
    settings = Settings(database_url=store_url, identity_secret=TEST_IDENTITY_SECRET, **TIGHT)
    runtime = build_runtime(settings, retriever=KeywordRetriever(), warm=False)
    yield create_app(settings, runtime=runtime)
    runtime.close()


def client_at(app: object, ip: str) -> TestClient:
    return TestClient(app, client=(ip, 40000))  # type: ignore[arg-type]


def start(client: TestClient) -> tuple[str, str]:
    r = client.post("/api/conversations", json={"channel": "web", **signed("C00001"), "language": "en"})
    assert r.status_code == 201, r.text
    return r.json()["conversation_id"], r.json()["token"]


def say(client: TestClient, cid: str, token: str, text: str = "hello"):
    return client.post(f"/api/conversations/{cid}/messages", json={"text": text},
                       headers={"Authorization": f"Bearer {token}"})


def test_a_conversation_over_its_message_limit_gets_429_and_recovers(app: object) -> None:
    with client_at(app, "10.0.0.1") as c:
        cid, token = start(c)
        assert [say(c, cid, token).status_code for _ in range(3)] == [200, 200, 200]
        refused = say(c, cid, token)
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
        wait = int(refused.headers["Retry-After"])
        assert 1 <= wait <= 2
        time.sleep(wait + 0.1)
        assert say(c, cid, token).status_code == 200  # the window moved on


def test_one_ips_flood_leaves_another_ips_conversation_answered(app: object) -> None:
    with client_at(app, "10.0.0.2") as flood, client_at(app, "10.0.0.3") as calm:
        opened = [flood.post("/api/conversations", json={"channel": "web"}).status_code for _ in range(8)]
        assert opened[:4] == [201] * 4 and set(opened[4:]) == {429}
        cid, token = start(calm)  # another address opens and talks in normal time
        started = time.monotonic()
        r = say(calm, cid, token, "Where is my order?")
        assert r.status_code == 200 and r.json()["reply"]["text"] and time.monotonic() - started < 2


def test_the_socket_counts_messages_too_and_stays_open(app: object) -> None:
    with client_at(app, "10.0.0.4") as c:
        cid, token = start(c)
        with chat_socket(c, cid, token) as ws:
            errors = []
            for i in range(5):
                ws.send_json({"type": "user_message", "text": f"hi {i}", "client_msg_id": f"m{i}"})
                while True:
                    frame = ws.receive_json()
                    if frame["type"] == "error":
                        errors.append(frame)
                        break
                    if frame["type"] == "bot_message":
                        break
            assert [e["code"] for e in errors] == ["rate_limited", "rate_limited"]
            assert all(e["retry_after"] >= 1 for e in errors)
            ws.send_json({"type": "csat", "score": 5})
            ws.send_json({"type": "csat", "score": 1})
            while (frame := ws.receive_json())["type"] != "error":
                pass
            assert frame["code"] == "csat_already_given"  # one rating per conversation, and the socket is alive


def answered(ws: Any) -> bool:
    """Whether the message just sent is answered (a `bot_message` before any `error` frame)."""
    while (frame := ws.receive_json())["type"] not in ("bot_message", "error"):
        pass
    return frame["type"] == "bot_message"


def test_one_address_holds_at_most_its_share_of_open_sockets(app: object) -> None:
    from starlette.websockets import WebSocketDisconnect

    with client_at(app, "10.0.0.8") as c, client_at(app, "10.0.0.9") as other:
        cid, token = start(c)
        url = f"/ws/chat/{cid}"
        with chat_socket(c, cid, token) as first, chat_socket(c, cid, token):
            with c.websocket_connect(url) as third:  # refused before it could even authenticate
                assert third.receive_json()["code"] == "too_many_sockets"
                with pytest.raises(WebSocketDisconnect) as closed:
                    third.receive_json()
                assert closed.value.code == 4429
            o_cid, o_token = start(other)
            with chat_socket(other, o_cid, o_token) as theirs:  # another address is served
                theirs.send_json({"type": "user_message", "text": "hi", "client_msg_id": "o1"})
                assert answered(theirs)
            first.close()
        with chat_socket(c, cid, token) as again:  # closed sockets give their slots back
            again.send_json({"type": "user_message", "text": "hi again", "client_msg_id": "a1"})
            assert answered(again)


def test_a_socket_flood_is_refused_then_cut_off_and_the_client_may_come_back(app: object) -> None:
    from starlette.websockets import WebSocketDisconnect

    with client_at(app, "10.0.0.10") as c:
        cid, token = start(c)
        with chat_socket(c, cid, token) as ws:
            for i in range(150):  # back to back, far over 5 a second (bursts of 10)
                ws.send_json({"type": "typing", "on": i % 2 == 0})
            refused = []
            with pytest.raises(WebSocketDisconnect) as closed:
                while True:
                    refused.append(ws.receive_json())
            assert closed.value.code == 4429
            assert {f["code"] for f in refused} == {"rate_limited"}
            # 50 refusals in a row close it; on a busy machine a token refills mid-flood (5 a second), lets one
            # frame through and starts the streak again, so it may take more; never the whole flood
            assert 50 <= len(refused) <= 140 and all(f.get("retry_after", 1) > 0 for f in refused[:-1])
        with chat_socket(c, cid, token) as again:  # a new socket, a new budget: served again
            again.send_json({"type": "user_message", "text": "hi", "client_msg_id": "back"})
            assert answered(again)


def test_login_is_throttled_per_address(app: object) -> None:
    with client_at(app, "10.0.0.5") as c, client_at(app, "10.0.0.6") as other:
        codes = [c.post("/api/operator/login", json={"username": "nobody", "password": "x" * 12}).status_code
                 for _ in range(4)]
        assert codes[:3] == [401, 401, 401] and codes[3] == 429
        assert other.post("/api/operator/login", json={"username": "nobody", "password": "x" * 12}).status_code == 401


def test_rate_limits_off_lifts_them(store_url: str) -> None:
    settings = Settings(database_url=store_url, identity_secret=TEST_IDENTITY_SECRET, rate_limits="off", **TIGHT)
    runtime = build_runtime(settings, retriever=KeywordRetriever(), warm=False)
    with client_at(create_app(settings, runtime=runtime), "10.0.0.7") as c:
        cid, token = start(c)
        assert {say(c, cid, token).status_code for _ in range(6)} == {200}
    runtime.close()


async def test_workers_sharing_redis_share_the_counts() -> None:
    url = redis_url()
    prefix = f"kefu-test-{time.monotonic_ns()}:"
    a, b = (RateLimits({"m": "3 per 5 seconds"}, redis_url=url, prefix=prefix) for _ in range(2))
    await a.hit("m", "conv")
    await b.hit("m", "conv")
    await a.hit("m", "conv")
    with pytest.raises(RateLimited) as over:
        await b.hit("m", "conv")
    assert 1 <= over.value.retry_after <= 5
    await asyncio.gather(a.hit("m", "other"), b.hit("m", "other"))  # another key has its own count
