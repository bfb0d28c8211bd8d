"""Proactive offers through the chat socket of the wired server (demo store, its trade-in campaign, the shipped
policy documents), zh and en: a calm returning customer's question about returns is answered from the documents and
followed by the trade-in offer — a claimable coupon card, recorded as `offer_made` with the copy variant of the
customer's segment (read from their order history) — and the card's claim words get the coupon; an angry customer
and one waiting for a person get the answer and no offer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from knowledge.base import KnowledgeBase
from knowledge.ingest import default_docs_dir, ingest
from server.app import create_app
from server.db.engine import make_engine, make_session_factory
from server.db.models import Customer, Order
from server.db.offers import SqlCampaignStore
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import HashEmbedder
from tests.server.console_support import small_store
from tests.services import TEST_IDENTITY_SECRET
from tests.sockets import bot_message, chat_socket, events_of, send, start_chat
from tools.marketing.campaigns.variants import angles_for
from tools.marketing.segments import shopper_segment

pytestmark = pytest.mark.integration

RETURNS = {"zh": "7天无理由退货从哪天开始算？", "en": "How many days do I have to return an item?"}
ANGRY = {"zh": "退货怎么这么麻烦，气死我了！7天无理由退货到底从哪天开始算？",
         "en": "Returning things here is a nightmare and I am furious! How many days do I have to return an item?"}
PERSON = {"zh": "我要转人工", "en": "I want to talk to a person"}
BY_THE_WAY = {"zh": "顺便一提", "en": "By the way"}
NAME = {"zh": "以旧换新补贴", "en": "Trade-in bonus"}


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return small_store(tmp_path_factory, "proactive", customers=40, orders=300)


@pytest.fixture(scope="module")
def policy_index(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """The shipped policy documents (hash embedder: no model to load)."""
    index_dir = tmp_path_factory.mktemp("proactive-kb")
    ingest([default_docs_dir()], index_dir, embedder=HashEmbedder(), progress=False)
    return KnowledgeBase.load(index_dir, HashEmbedder())


@pytest.fixture(scope="module")
def client(store_url: str, policy_index: KnowledgeBase) -> Iterator[TestClient]:
    settings = Settings(database_url=store_url, identity_secret=TEST_IDENTITY_SECRET)
    runtime = build_runtime(settings, retriever=policy_index, warm=False)
    with TestClient(create_app(settings, runtime=runtime)) as c:
        yield c
    runtime.close()


def returning_customers(url: str, language: str) -> list[str]:
    """Customers of that language with an order (the trade-in campaign is for returning customers)."""
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as s:
            return list(s.scalars(select(Customer.id).join(Order, Order.customer_id == Customer.id)
                                  .where(Customer.language == language).group_by(Customer.id)
                                  .having(func.count(Order.id) > 1).order_by(Customer.id)))
    finally:
        engine.dispose()








@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_calm_returns_question_gets_the_trade_in_offer_and_its_claim_button_words_claim_it(
        client: TestClient, store_url: str, language: str) -> None:
    customer = returning_customers(store_url, language)[0]
    engine = make_engine(store_url)
    try:
        segment = shopper_segment(SqlCampaignStore(make_session_factory(engine)).history(customer))
    finally:
        engine.dispose()
    cid, token = start_chat(client, customer, language)
    with chat_socket(client, cid, token) as ws:
        send(ws, {"type": "user_message", "text": RETURNS[language], "client_msg_id": "m1"})
        answer = bot_message(ws)
        assert answer["citations"][0]["doc"] == "returns", answer
        assert BY_THE_WAY[language] in answer["text"] and NAME[language] in answer["text"], answer["text"]
        [card] = [c for c in answer["cards"] if c["type"] == "coupon"]
        assert (card["id"], card["status"], card["offer_kind"]) == ("trade_in", "claimable", "trade_in")
        assert card["discount_text"] == "¥150" and card["min_spend"] == "1500.00"
        send(ws, {"type": "user_message", "text": card["claim_text"], "client_msg_id": "m2"})
        claimed = bot_message(ws)
    [made] = [e["payload"] for e in events_of(client, cid, token, "offer_made")]
    assert (made["kind"], made["offer_id"], made["need"], made["source"]) == (
        "trade_in", "trade_in", "policy:returns", "proactive_offer")
    assert (made["segment"], made["variant"]) == (segment, angles_for(segment)[0])
    [held] = claimed["cards"]
    assert held["status"] == "held" and held["campaign_id"] == "trade_in" and held["code"] in claimed["text"]
    [issued] = [e["payload"] for e in events_of(client, cid, token, "coupon_issued")]
    assert issued["campaign_id"] == "trade_in" and issued["customer_id"] == customer


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_offer_to_an_angry_customer_nor_one_waiting_for_a_person(
        client: TestClient, store_url: str, language: str) -> None:
    first, second = returning_customers(store_url, language)[1:3]
    cid, token = start_chat(client, first, language)
    with chat_socket(client, cid, token) as ws:
        send(ws, {"type": "user_message", "text": ANGRY[language]})
        angry = bot_message(ws)
    assert angry["state"]["affect"]["score"] < 0 and BY_THE_WAY[language] not in angry["text"]
    assert not any(c["type"] == "coupon" for c in angry["cards"])
    assert not events_of(client, cid, token, "offer_made")

    cid, token = start_chat(client, second, language)
    with chat_socket(client, cid, token) as ws:
        send(ws, {"type": "user_message", "text": PERSON[language]})
        assert bot_message(ws)["state"]["handoff"] == "queued"
        send(ws, {"type": "user_message", "text": RETURNS[language]})
        queued = bot_message(ws)
    assert queued["citations"] and BY_THE_WAY[language] not in queued["text"]
    assert not events_of(client, cid, token, "offer_made")
