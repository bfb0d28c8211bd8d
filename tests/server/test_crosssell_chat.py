"""Cross-sell in chat over the wired server, in zh and en: rules mined from the store's own orders, an answered order
question followed by one offer (a product card marked `offer`), at most once per order, none to an angry customer
or one waiting for a person; the offered product added to the cart is recorded as the offer taken up, and a
product added to the cart is followed by an offer the socket shows as a bot message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from server.app import create_app
from server.db.baskets import order_baskets
from server.db.engine import make_engine, make_session_factory
from server.db.models import Order, OrderLine, Product
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever
from tests.server.console_support import small_store
from tests.services import TEST_IDENTITY_SECRET
from tests.sockets import chat_socket, events_of, frame_of, send, start_chat
from tools.marketing.rules import RuleSet, mine_local, save_rules

pytestmark = pytest.mark.integration

ASK = {"zh": "我的订单{order}到哪了？", "en": "Where is my order {order}?"}
ANGRY = {"zh": "我的订单{order}到底到哪了？等了这么久还没到，太气人了！",
         "en": "Where is my order {order}? This is taking forever, I am so angry!"}
PERSON = {"zh": "我要转人工", "en": "I want to talk to a person"}
BY_THE_WAY = {"zh": "顺便推荐", "en": "By the way"}


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return small_store(tmp_path_factory, "crosssell", customers=60, orders=500)


@pytest.fixture(scope="module")
def rules_dir(store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store's orders mined by product and by category, as `kefu rules mine --from-orders` does."""
    folder = tmp_path_factory.mktemp("rules")
    engine = make_engine(store_url)
    try:
        for by, support in (("product", 0.004), ("category", 0.01)):
            result = mine_local(order_baskets(make_session_factory(engine), by=by), min_support=support,
                                min_confidence=0.1)
            assert result.rules, by
            save_rules(RuleSet.from_result(result, name=f"orders-{by}", by=by, source="orders"),
                       folder / f"orders-{by}.json")
    finally:
        engine.dispose()
    return folder


@pytest.fixture(scope="module")
def phone_order(store_url: str) -> tuple[str, str]:
    """(customer, order id) of an order with a phone in it that was not cancelled."""
    engine = make_engine(store_url)
    try:
        with make_session_factory(engine)() as s:
            row = s.execute(select(Order.customer_id, Order.id).join(OrderLine, OrderLine.order_id == Order.id)
                            .join(Product, Product.id == OrderLine.product_id)
                            .where(Product.category_key == "phone", Order.status == "delivered")
                            .order_by(Order.id)).first()
    finally:
        engine.dispose()
    assert row is not None
    return row[0], row[1]


@pytest.fixture(scope="module")
def client(store_url: str, rules_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(database_url=store_url, identity_secret=TEST_IDENTITY_SECRET, rules_dir=rules_dir,
                        recommender_model_path=tmp_path_factory.mktemp("model") / "none.npz")
    runtime = build_runtime(settings, retriever=KeywordRetriever(), warm=False)
    with TestClient(create_app(settings, runtime=runtime)) as c:
        yield c
    runtime.close()






def offers(frame: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in frame["cards"] if c.get("offer")]




@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_solved_order_question_gets_one_offer_and_taking_it_is_recorded(
    client: TestClient, rules_dir: Path, phone_order: tuple[str, str], language: str
) -> None:
    customer, order = phone_order
    cid, token = start_chat(client, customer, language)
    with chat_socket(client, cid, token) as ws:
        send(ws, {"type": "user_message", "text": ASK[language].format(order=order)})
        first = frame_of(ws, "bot_message")
        assert order in first["text"] and BY_THE_WAY[language] in first["text"]
        assert first["cards"][0]["type"] == "order"
        [card] = offers(first)
        assert card["type"] == "product" and card["actions"] == ["view", "add_to_cart"] and card["in_stock"]

        send(ws, {"type": "user_message", "text": ASK[language].format(order=order)})
        again = frame_of(ws, "bot_message")
        assert order in again["text"] and not offers(again)  # at most once per need

        send(ws, {"type": "interaction", "kind": "added_to_cart", "product_id": card["id"]})
        assert frame_of(ws, "interaction_recorded")["product_id"] == card["id"]
    [made] = events_of(client, cid, token, "offer_made")
    assert made["payload"]["offer_id"] == card["id"] and made["payload"]["need"] == f"order:{order}"
    rule = made["payload"]["rule"]
    assert rule is not None and rule["rule_set"] in {p.stem for p in rules_dir.glob("*.json")}
    assert {"by", "antecedent", "consequent", "support", "confidence", "lift"} <= set(rule)
    [answered] = events_of(client, cid, token, "offer_answered")
    assert answered["payload"] == {"offer_event_id": made["id"], "kind": "cross_sell", "offer_id": card["id"],
                                   "outcome": "added_to_cart"}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_offer_after_an_angry_question_nor_while_waiting_for_a_person(
    client: TestClient, phone_order: tuple[str, str], language: str
) -> None:
    customer, order = phone_order
    cid, token = start_chat(client, customer, language)
    with chat_socket(client, cid, token) as ws:
        send(ws, {"type": "user_message", "text": ANGRY[language].format(order=order)})
        angry = frame_of(ws, "bot_message")
        assert order in angry["text"] and angry["state"]["affect"]["score"] < 0
        assert not offers(angry) and BY_THE_WAY[language] not in angry["text"]
    assert not events_of(client, cid, token, "offer_made")

    cid, token = start_chat(client, customer, language)
    with chat_socket(client, cid, token) as ws:
        send(ws, {"type": "user_message", "text": PERSON[language]})
        assert frame_of(ws, "handoff")["status"] == "queued"
        send(ws, {"type": "user_message", "text": ASK[language].format(order=order)})
        waiting = frame_of(ws, "bot_message")
        while order not in waiting["text"]:  # (the handoff's own reply comes first)
            waiting = frame_of(ws, "bot_message")
        assert not offers(waiting) and waiting["state"]["handoff"] == "queued"
    assert not events_of(client, cid, token, "offer_made")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_product_added_to_the_cart_is_followed_by_an_offer_on_the_socket(
    client: TestClient, phone_order: tuple[str, str], language: str
) -> None:
    cid, token = start_chat(client, None, language)
    auth = {"Authorization": f"Bearer {token}"}
    with chat_socket(client, cid, token) as ws:
        send(ws, {"type": "user_message", "text": "推荐一款手机" if language == "zh" else "recommend a phone"})
        phone = frame_of(ws, "bot_message")["cards"][0]["id"]
        send(ws, {"type": "interaction", "kind": "added_to_cart", "product_id": phone})
        offer = frame_of(ws, "bot_message")
        assert BY_THE_WAY[language] in offer["text"]
        [card] = offers(offer)
        assert card["id"] != phone and card["actions"] == ["view", "add_to_cart"]
    [made] = events_of(client, cid, token, "offer_made")
    assert made["payload"]["need"] == f"product:{phone}" and made["payload"]["offer_id"] == card["id"]
    rest = client.post(f"/api/conversations/{cid}/interactions", json={"kind": "purchased", "product_id": phone},
                       headers=auth)
    assert rest.status_code == 201 and rest.json()["kind"] == "purchased"
    assert len(events_of(client, cid, token, "offer_made")) == 1  # the same need: no second offer
