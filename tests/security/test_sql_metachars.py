"""SQL metacharacters, wildcards, NUL, full-width quotes and very long values in every slot a client fills
— order id, phone, email, product query, return reason, customer id and signature, login, operator
messages and notes, query parameters, path ids, socket frames — on SQLite and PostgreSQL: each answered
clearly (a reply, or an error in the documented shape), never a 5xx, no one's order reached by a wildcard,
and the store's tables intact afterwards."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from server.app import create_app
from server.demo.build import build_demo_store
from server.runtime import build_runtime
from server.settings import Settings
from tests.conftest import DEMO_AS_OF
from tests.fakes import KeywordRetriever
from tests.security.sockets import open_chat
from tests.server.console_support import login, register_accounts
from tests.services import TEST_IDENTITY_SECRET, customer_sig, signed

pytestmark = pytest.mark.integration

PAYLOADS = [
    "' OR 1=1 --",
    "' OR '1'='1",
    '"; DROP TABLE orders; --',
    "Robert'); DROP TABLE customers;--",
    "1; SELECT pg_sleep(3)",
    "%",
    "_",
    "%' AND 1=(SELECT COUNT(*) FROM customers) --",
    "\\",
    "\\'; --",
    "\x00",
    "KF\x0010000001",
    "＇ OR １＝１ －－ “引号” ‘单引号’",
    "x" * 3000,
    "%_%_%_%",
]
TABLES = ("customers", "orders", "order_lines", "returns", "products", "operators")
VICTIM_PHONE, VICTIM_EMAIL = "13812345678", "victim@example.com"


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES}
    finally:
        engine.dispose()


@pytest.fixture
def store(db_url: str) -> Iterator[tuple[TestClient, str, dict[str, str]]]:
    """The app over a demo store on SQLite or PostgreSQL, an operator's account, and real contacts on one
    customer (the victim of the wildcard attempts)."""
    build_demo_store(db_url, seed=7, as_of=DEMO_AS_OF, customers=20, orders=80)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE customers SET phone = :p, email = :e WHERE id = 'C00001'"),
                     {"p": VICTIM_PHONE, "e": VICTIM_EMAIL})
    engine.dispose()
    staff = register_accounts(db_url, {"operator": "Wang Fang"})
    settings = Settings(database_url=db_url, identity_secret=TEST_IDENTITY_SECRET, rate_limits="off")
    runtime = build_runtime(settings, retriever=KeywordRetriever(), llm=None, warm=False)
    with TestClient(create_app(settings, runtime=runtime)) as client:
        yield client, db_url, staff
    runtime.close()


def clear(r) -> dict:
    """A response a client can act on: success, or a 4xx in the documented error shape."""
    assert r.status_code < 500, (r.request.method, r.request.url, r.status_code, r.text[:300])
    body = r.json()
    if r.status_code >= 400:
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return body


def start(client: TestClient, body: dict) -> tuple[str, dict[str, str]]:
    started = clear(client.post("/api/conversations", json={"channel": "web", "language": "en", **body}))
    return started["conversation_id"], {"Authorization": f"Bearer {started['token']}"}


def test_metacharacters_in_every_slot_are_answered_clearly(store) -> None:
    client, url, staff = store
    before = counts(url)
    engine = create_engine(url)  # the attacker's knowledge of a victim's order (the demo list is off here)
    with engine.connect() as conn:
        victim_order = conn.execute(text("SELECT id FROM orders WHERE customer_id = 'C00001' "
                                         "ORDER BY placed_at DESC LIMIT 1")).scalar_one()
    engine.dispose()
    own_cid, own = start(client, signed("C00002"))
    anon_cid, anon = start(client, {})
    operator = login(client, staff["operator"])
    for p in PAYLOADS:
        # customer id and signature (signed, so the lookup runs with the payload)
        for body in ({"customer_id": p, "customer_sig": customer_sig(p)}, {"customer_id": "C00001", "customer_sig": p},
                     {"customer_id": p}):
            clear(client.post("/api/conversations", json={"channel": "web", **body}))
        # every slot of a customer's message: order id, return reason, product query, phone, email
        for message in (f"Where is my order {p}", f"订单 KF{p} 到哪了", f"I want to return {victim_order} because {p}",
                        f"do you have {p} phone cases", f"推荐{p}耳机", p):
            reply = clear(client.post(f"/api/conversations/{own_cid}/messages", json={"text": message}, headers=own))
            if "reply" in reply:  # another customer's order is never shown
                assert victim_order not in json.dumps(reply["reply"]["cards"]), (p, reply)
        for message in (f"Where is order {victim_order}? my phone is {p}", f"order {victim_order} email {p}",
                        f"{victim_order} {p}@example.com", f"订单{victim_order} 手机{p}"):
            reply = clear(client.post(f"/api/conversations/{anon_cid}/messages", json={"text": message}, headers=anon))
            if "reply" in reply:  # no wildcard or injection opens the order
                assert not [c for c in reply["reply"]["cards"] if c["type"] == "order"], (p, reply)
                assert victim_order not in json.dumps(reply["reply"]["cards"]), (p, reply)
        # sign-in, console actions, query parameters and path ids
        clear(client.post("/api/operator/login", json={"username": p[:64] or "x", "password": p}))
        clear(client.post(f"/api/operator/conversations/{own_cid}/notes", json={"text": p}, headers=operator))
        clear(client.get(f"/api/operator/conversations?handoff={quote(p)}", headers=operator))
        clear(client.get(f"/api/operator/conversations/{quote(p, safe='')}", headers=operator))
        clear(client.get(f"/api/conversations/{own_cid}/events?after={quote(p)}", headers=own))
        clear(client.get(f"/api/conversations/{quote(p, safe='')}/events", headers=own))
        clear(client.get(f"/api/demo/customers?limit={quote(p)}"))
    with open_chat(client, own_cid, own["Authorization"][7:]) as ws:
        for p in PAYLOADS:
            ws.send_text(json.dumps({"type": "user_message", "text": f"order {p}", "client_msg_id": p[:64]}))
            while (frame := ws.receive_json())["type"] not in ("bot_message", "error"):
                pass
            assert frame["type"] == "bot_message" or frame["code"] in ("invalid_message", "invalid_frame"), frame
    # nothing was dropped, added or changed behind the answers (notes may have been kept; no returns made)
    assert counts(url) == before
    shown = clear(client.post(f"/api/conversations/{anon_cid}/messages", headers=anon,
                              json={"text": f"Where is order {victim_order}? my phone is {VICTIM_PHONE}"}))
    assert victim_order in shown["reply"]["text"]  # and the real contact still opens it
