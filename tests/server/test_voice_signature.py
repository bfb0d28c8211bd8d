"""Twilio's request signature on `/ws/voice`: with an auth token configured, a socket upgrade signed by Twilio's
rule (base64 HMAC-SHA1 of the dialled URL) is taken and anything else is closed with 4403; without a token (the
embedded default) nothing is checked. The signature's arithmetic against Twilio's published example."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from server.app import create_app
from server.channels.twilio_signature import signature
from server.runtime import Runtime, build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever
from tests.server.test_voice_socket import start, store_url, with_fakes  # noqa: F401
from tests.services import TEST_IDENTITY_SECRET

pytestmark = pytest.mark.integration

TOKEN = "12345"


def test_the_signature_is_twilios_hmac_sha1_of_the_url_and_sorted_parameters() -> None:
    # Twilio's documented example (security docs): this URL, these POST parameters, auth token 12345
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234", "From": "+12349013030",
              "To": "+18005551212"}
    assert signature(TOKEN, "https://mycompany.com/myapp.php?foo=1&bar=2", params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


@pytest.fixture
def signed_runtime(store_url: str) -> Iterator[Runtime]:  # noqa: F811
    settings = Settings(database_url=store_url, identity_secret=TEST_IDENTITY_SECRET,
                        voice={"twilio_auth_token": TOKEN, "public_url": "wss://kefu.example.com"})
    rt = build_runtime(settings, retriever=KeywordRetriever(), warm=False)
    yield rt
    rt.close()


def opened(runtime: Runtime, headers: dict[str, str], path: str = "/ws/voice") -> bool:
    """Did the call get going (its greeting's audio came), or was the socket closed with 4403?"""
    with_fakes(runtime, [])
    with TestClient(create_app(runtime.settings, runtime=runtime)) as client, \
            client.websocket_connect(path, headers=headers) as ws:
        try:
            ws.send_text(start({"language": "en"}))
            return json.loads(ws.receive_text())["event"] == "media"
        except WebSocketDisconnect as closed:
            assert closed.code == 4403 and closed.reason == "bad_signature"
            return False


def test_only_a_socket_twilio_signed_for_this_url_is_taken(signed_runtime: Runtime) -> None:
    good = signature(TOKEN, "wss://kefu.example.com/ws/voice?line=store")
    assert opened(signed_runtime, {"X-Twilio-Signature": good}, "/ws/voice?line=store")
    assert opened(signed_runtime, {"X-Twilio-Signature": signature(TOKEN, "wss://kefu.example.com:443/ws/voice")})
    assert not opened(signed_runtime, {})  # unsigned
    assert not opened(signed_runtime, {"X-Twilio-Signature": good})  # signed for another URL (the query differs)
    assert not opened(signed_runtime, {"X-Twilio-Signature": signature("other-token", "wss://kefu.example.com/ws/voice")})


def test_without_a_token_configured_nothing_is_checked(store_url: str) -> None:  # noqa: F811
    rt = build_runtime(Settings(database_url=store_url, identity_secret=TEST_IDENTITY_SECRET),
                       retriever=KeywordRetriever(), warm=False)
    try:
        assert opened(rt, {})
    finally:
        rt.close()
