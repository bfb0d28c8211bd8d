"""The acceptance conversations of the spine, against the real server, over REST and WebSocket alike."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from server.db.engine import make_engine, make_session_factory
from server.db.orders import SqlOrderRepository
from tests.services import signed
from tests.sockets import authenticated
from tools.commerce.ports import OrderView

pytestmark = pytest.mark.e2e

# REST talks as C00001 (zh) / C00002 (en); WebSocket as C00003 (zh) / C00004 (en): each flow has its own orders.
CUSTOMERS = {("rest", "zh"): "C00001", ("rest", "en"): "C00002", ("ws", "zh"): "C00003", ("ws", "en"): "C00004"}


@pytest.fixture(scope="module")
def repo(e2e_env: dict[str, str]) -> SqlOrderRepository:
    return SqlOrderRepository(make_session_factory(make_engine(e2e_env["KEFU_DATABASE_URL"])))


@dataclass
class Showcase:
    in_transit: OrderView
    recent: OrderView  # delivered 2 days ago
    old: OrderView  # delivered 30 days ago


def showcase(repo: SqlOrderRepository, customer: str) -> Showcase:
    orders = repo.list_orders(customer, limit=50)
    now = datetime.now(UTC)

    def delivered_days_ago(o: OrderView) -> int | None:
        s = o.shipment
        return (now.date() - s.delivered_at.date()).days if s and s.delivered_at else None

    transit = next(o for o in orders if o.shipment and o.shipment.status == "in_transit")
    recent = next(o for o in orders if delivered_days_ago(o) == 2 and any(li.returnable for li in o.lines))
    old = next(o for o in orders if delivered_days_ago(o) == 30)
    return Showcase(transit, recent, old)


class Chat:
    """One conversation over one transport; `say` returns (reply, state)."""

    def __init__(self, base: str, transport: str, customer: str, language: str) -> None:
        self.base, self.transport = base, transport
        r = httpx.post(f"{base}/api/conversations", json={"channel": "web", **signed(customer), "language": language})
        assert r.status_code == 201, r.text
        self.id, self.token = r.json()["conversation_id"], r.json()["token"]
        self.ws: ClientConnection | None = None
        if transport == "ws":
            self.ws = connect(f"{base.replace('http', 'ws')}/ws/chat/{self.id}").__enter__()
            authenticated(self.ws, self.token)

    def say(self, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
        if self.ws is None:
            r = httpx.post(f"{self.base}/api/conversations/{self.id}/messages", json={"text": text},
                           headers={"Authorization": f"Bearer {self.token}"}, timeout=30)
            assert r.status_code == 200, r.text
            return r.json()["reply"], r.json()["state"]
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({"type": "user_message", "text": text, "client_msg_id": msg_id}))
        echoed = False
        while True:
            frame = json.loads(self.ws.recv(timeout=30))
            assert frame["type"] != "error", frame
            if frame["type"] == "user_message" and frame["client_msg_id"] == msg_id:
                echoed = True
            if frame["type"] == "bot_message" and echoed:
                assert isinstance(frame["seq"], int)
                return frame, frame["state"]

    def events(self) -> list[dict[str, Any]]:
        r = httpx.get(f"{self.base}/api/conversations/{self.id}/events",
                      headers={"Authorization": f"Bearer {self.token}"})
        assert r.status_code == 200
        return r.json()["events"]

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()


@pytest.fixture(params=sorted(CUSTOMERS), ids=lambda p: f"{p[0]}-{p[1]}")
def chat(request: pytest.FixtureRequest, live_server: str) -> Iterator[Chat]:
    transport, language = request.param
    c = Chat(live_server, transport, CUSTOMERS[request.param], language)
    c.language = language  # type: ignore[attr-defined]
    c.customer = CUSTOMERS[request.param]  # type: ignore[attr-defined]
    yield c
    c.close()


TEXT = {
    "zh": {
        "where": "我的订单{oid}到哪了？",
        "policy": "7天无理由退货从哪天开始算？",
        "product": "我想买手机壳",
        "return": "我要退货，订单{oid}，不想要了",
        "confirm": "确认提交",
        "angry": "你们这什么破服务！太差了，气死我了！！",
        "human": "转人工",
        "status": {"in_transit": "运输中"},
        "category": "手机壳",
        "empathy": "抱歉",
        "offer": "人工",
    },
    "en": {
        "where": "Where is my order {oid}?",
        "policy": "How many days do I have to return something without a reason?",
        "product": "Do you have phone cases?",
        "return": "I want to return order {oid}, I changed my mind",
        "confirm": "Yes, submit it",
        "angry": "This is ridiculous, the worst service ever!! I'm furious!",
        "human": "I want to talk to a human",
        "status": {"in_transit": "in transit"},
        "category": "Phone cases",
        "empathy": "sorry",
        "offer": "person",
    },
}


def test_order_status_gives_real_status_and_latest_event(chat: Chat, repo: SqlOrderRepository) -> None:
    lang = chat.language  # type: ignore[attr-defined]
    order = showcase(repo, chat.customer).in_transit  # type: ignore[attr-defined]
    reply, state = chat.say(TEXT[lang]["where"].format(oid=order.order_id))
    latest = order.shipment.events[-1]  # type: ignore[union-attr]
    assert order.order_id in reply["text"]
    assert TEXT[lang]["status"]["in_transit"] in reply["text"]
    assert (latest.description_zh if lang == "zh" else latest.description_en).rstrip("。.") in reply["text"]
    assert state["intent"] == "order_status" and state["slots"]["order_id"] == order.order_id
    assert reply["cards"][0]["type"] == "order" and reply["cards"][0]["id"] == order.order_id


def test_policy_question_cites_returns_document(chat: Chat) -> None:
    reply, state = chat.say(TEXT[chat.language]["policy"])  # type: ignore[attr-defined]
    assert state["intent"] == "policy_question"
    assert reply["citations"] and reply["citations"][0]["doc"] == "returns"
    assert "7" in reply["text"]


def test_product_kind_gets_cards_of_that_kind(chat: Chat) -> None:
    lang = chat.language  # type: ignore[attr-defined]
    reply, state = chat.say(TEXT[lang]["product"])
    assert state["slots"]["category"] == "phone_case"
    assert len(reply["cards"]) >= 2
    assert all(c["type"] == "product" and c["category"] == TEXT[lang]["category"] for c in reply["cards"])


def test_return_inside_window_created_outside_refused(chat: Chat, repo: SqlOrderRepository) -> None:
    lang = chat.language  # type: ignore[attr-defined]
    show = showcase(repo, chat.customer)  # type: ignore[attr-defined]
    reply, _ = chat.say(TEXT[lang]["return"].format(oid=show.old.order_id))
    assert "30" in reply["text"] and "7" in reply["text"]
    assert repo.get_order(show.old.order_id).returns == show.old.returns  # type: ignore[union-attr]

    reply, _ = chat.say(TEXT[lang]["return"].format(oid=show.recent.order_id))
    stated = repo.get_order(show.recent.order_id)
    assert stated is not None and stated.returns == show.recent.returns  # stated, not filed: the customer confirms
    assert show.recent.order_id in reply["text"] and TEXT[lang]["confirm"] in reply["quick_replies"]
    reply, _ = chat.say(TEXT[lang]["confirm"])
    after = repo.get_order(show.recent.order_id)
    assert after is not None and len(after.returns) == len(show.recent.returns) + 1
    assert after.returns[-1].return_id in reply["text"]


def test_angry_complaint_gets_empathy_and_human_offer_then_queue(chat: Chat) -> None:
    lang = chat.language  # type: ignore[attr-defined]
    reply, state = chat.say(TEXT[lang]["angry"])
    assert state["affect"]["label"] == "anger" and state["affect"]["score"] < -0.3
    assert TEXT[lang]["empathy"] in reply["text"].lower() or TEXT[lang]["empathy"] in reply["text"]
    assert any(TEXT[lang]["offer"] in q.lower() for q in reply["quick_replies"])
    assert state["handoff"] == "bot"
    reply, state = chat.say(TEXT[lang]["human"])
    assert state["handoff"] == "queued"


def test_other_customers_order_reveals_nothing(chat: Chat, repo: SqlOrderRepository) -> None:
    lang = chat.language  # type: ignore[attr-defined]
    other = "C00005" if chat.customer != "C00005" else "C00006"  # type: ignore[attr-defined]
    theirs = showcase(repo, other).in_transit
    reply, _ = chat.say(TEXT[lang]["where"].format(oid=theirs.order_id))
    text = reply["text"]
    latest = theirs.shipment.events[-1]  # type: ignore[union-attr]
    assert not reply["cards"]
    for secret in (latest.description_zh, latest.description_en, theirs.shipment.tracking_no,  # type: ignore[union-attr]
                   theirs.lines[0].name_zh, theirs.lines[0].name_en):
        assert secret not in text
    assert all(secret_free(e, theirs) for e in chat.events())


def secret_free(event: dict[str, Any], order: OrderView) -> bool:
    blob = json.dumps(event, ensure_ascii=False)
    return order.shipment is None or order.shipment.tracking_no not in blob
