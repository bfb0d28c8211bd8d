"""Customers are who the store says they are: a customer id counts only with the store's signature (or its
backend's API key). A forged or missing signature gives an anonymous conversation that reaches no one's
orders, over REST and over the socket."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.identity import demo_secret
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever
from tests.server.console_support import small_store
from tests.services import TEST_IDENTITY_SECRET, customer_sig, signed
from tests.sockets import chat_socket

pytestmark = pytest.mark.integration

API_KEY = "store-backend-key-123"


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return small_store(tmp_path_factory, "identity", customers=20, orders=120)


@pytest.fixture
def client(store_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=store_url, identity_secret=TEST_IDENTITY_SECRET, identity_api_keys=API_KEY,
                        demo=True)  # the demo list names the victims
    runtime = build_runtime(settings, retriever=KeywordRetriever(), warm=False)
    with TestClient(create_app(settings, runtime=runtime)) as c:
        yield c
    runtime.close()


def victim_order(client: TestClient) -> tuple[str, str]:
    """A customer and one of their orders (from the demo list)."""
    victim = next(c for c in client.get("/api/demo/customers").json() if c["orders"])
    return victim["customer_id"], victim["orders"][0]["order_id"]


def start(client: TestClient, body: dict, **headers: str) -> dict:
    r = client.post("/api/conversations", json={"channel": "web", "language": "en", **body}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def ask(client: TestClient, started: dict, text: str) -> str:
    r = client.post(f"/api/conversations/{started['conversation_id']}/messages", json={"text": text},
                    headers={"Authorization": f"Bearer {started['token']}"})
    assert r.status_code == 200, r.text
    return r.json()["reply"]["text"]


def test_the_signed_customer_sees_their_own_order(client: TestClient) -> None:
    victim, order = victim_order(client)
    started = start(client, signed(victim))
    assert started["customer_id"] == victim
    reply = ask(client, started, f"Where is my order {order}?")
    assert order in reply and "phone number or email" not in reply


@pytest.mark.parametrize(
    "proof",
    [
        {},  # no signature at all
        {"customer_sig": "0" * 64},  # forged
        {"customer_sig": customer_sig("C00002")},  # another customer's signature
        {"customer_sig": customer_sig("C00001", secret="not-the-store-secret")},  # signed with the wrong secret
    ],
    ids=["missing", "forged", "other-customers", "wrong-secret"],
)
def test_without_a_valid_signature_the_conversation_is_anonymous_over_rest(client: TestClient, proof: dict) -> None:
    victim, order = victim_order(client)
    started = start(client, {"customer_id": victim, **proof})
    assert started["customer_id"] is None
    reply = ask(client, started, f"Where is my order {order}?")
    assert "phone number or email" in reply and order not in reply  # asked to prove it; nothing about the order
    state = client.get(f"/api/conversations/{started['conversation_id']}/events",
                       headers={"Authorization": f"Bearer {started['token']}"}).json()
    assert not any(e["type"] == "tool_returned" and e["payload"].get("ok") for e in state["events"])


def test_without_a_valid_signature_the_socket_reaches_no_order(client: TestClient) -> None:
    victim, order = victim_order(client)
    started = start(client, {"customer_id": victim, "customer_sig": "f" * 64, "language": "zh"})
    with chat_socket(client, started["conversation_id"], started["token"]) as ws:
        ws.send_json({"type": "user_message", "text": f"我的订单{order}到哪了？", "client_msg_id": "m1"})
        for _ in range(20):
            frame = ws.receive_json()
            if frame["type"] == "bot_message":
                break
        else:
            pytest.fail("no bot_message")
    assert "手机号或邮箱" in frame["text"] and order not in frame["text"] and not frame["cards"]
    assert frame["state"]["slots"].get("order_id") == order  # understood, but not looked up


def test_the_store_backend_opens_conversations_with_its_api_key(client: TestClient) -> None:
    victim, order = victim_order(client)
    started = start(client, {"customer_id": victim}, Authorization=f"Bearer {API_KEY}")
    assert started["customer_id"] == victim and order in ask(client, started, f"Where is my order {order}?")
    r = client.post("/api/conversations", json={"customer_id": victim}, headers={"Authorization": "Bearer guess"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"


def test_a_signed_but_unknown_customer_is_refused(client: TestClient) -> None:
    r = client.post("/api/conversations", json=signed("C99999"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_customer"


def test_the_demo_list_carries_each_customers_signature(client: TestClient) -> None:
    customers = client.get("/api/demo/customers").json()
    assert customers and all(c["customer_sig"] == customer_sig(c["customer_id"]) for c in customers)


def test_the_demo_secret_is_made_once_and_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "var" / "identity.key"
    first = demo_secret(path)
    assert len(first) == 64 and demo_secret(path) == first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["identity.key"]  # nothing left aside


def set_contacts(store_url: str, contacts: dict[str, tuple[str, str]]) -> None:
    """The demo store keeps masked contacts; a real store knows them. Give some customers real ones."""
    from sqlalchemy import create_engine, text

    engine = create_engine(store_url)
    with engine.begin() as conn:
        for customer_id, (phone, email) in contacts.items():
            conn.execute(text("UPDATE customers SET phone = :p, email = :e WHERE id = :id"),
                         {"p": phone, "e": email, "id": customer_id})
    engine.dispose()


def test_anonymous_sees_an_order_only_with_the_phone_or_email_on_it(client: TestClient, store_url: str) -> None:
    victim, order = victim_order(client)
    other = next(c["customer_id"] for c in client.get("/api/demo/customers").json() if c["customer_id"] != victim)
    set_contacts(store_url, {victim: ("13812345678", "Shopper@Example.com"), other: ("13987654321", "o@example.com")})
    started = start(client, {})
    refused = ask(client, started, f"Where is order {order}? my phone is 13987654321")  # another customer's phone
    assert "couldn't find" in refused and "in transit" not in refused
    refused = ask(client, started, f"{order} o@example.com")
    assert "couldn't find" in refused
    shown = ask(client, started, f"Where is order {order}? my phone is +86 138 1234 5678")
    assert order in shown and "couldn't find" not in shown
    by_email = ask(client, start(client, {"language": "zh"}), f"订单 {order} 邮箱 shopper@example.COM")
    assert order in by_email and "找不到" not in by_email and "没有找到" not in by_email


def test_a_password_change_signs_the_operator_out_everywhere(client: TestClient, store_url: str) -> None:
    from server.db.engine import make_engine, make_session_factory
    from server.db.operators import OperatorRepository
    from tests.server.console_support import PASSWORD, cheap_auth, login, register_accounts

    username = register_accounts(store_url, {"operator": "Sun Li"})["operator"]
    first, second = login(client, username), login(client, username)  # two browsers
    assert client.get("/api/operator/me", headers=first).status_code == 200
    engine = make_engine(store_url)
    try:
        cheap_auth(OperatorRepository(make_session_factory(engine))).change_password(username, PASSWORD + " new")
    finally:
        engine.dispose()
    for headers in (first, second):
        r = client.get("/api/operator/me", headers=headers)
        assert r.status_code == 401, r.text
    again = client.post("/api/operator/login", json={"username": username, "password": PASSWORD + " new"})
    assert again.status_code == 200
