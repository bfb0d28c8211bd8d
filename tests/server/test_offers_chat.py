"""Offers and a coupon claimed through the chat socket of the wired server (demo store), zh and en: "有什么优惠"
with something in the cart gets the year-end 满减 with the arithmetic done for the cart, the claimable coupon and
the coupon rules cited; "领取年终好券" gets the coupon card, recorded as `coupon_issued` and in the store; asking
again gets the same coupon."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from knowledge.base import KnowledgeBase
from knowledge.ingest import default_docs_dir, ingest
from server.app import create_app
from server.db.engine import make_engine, make_session_factory
from server.db.models import Campaign, Coupon, Customer, Product
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import HashEmbedder
from tests.server.console_support import small_store
from tests.services import TEST_IDENTITY_SECRET, signed
from tests.sockets import bot_message, chat_socket, receive, send

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return small_store(tmp_path_factory, "offers", customers=40, orders=300)


@pytest.fixture(scope="module")
def policy_index(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """The shipped policy documents (hash embedder: no model to load)."""
    index_dir = tmp_path_factory.mktemp("offers-kb")
    ingest([default_docs_dir()], index_dir, embedder=HashEmbedder(), progress=False)
    return KnowledgeBase.load(index_dir, HashEmbedder())


@pytest.fixture
def client(store_url: str, policy_index: KnowledgeBase) -> Iterator[TestClient]:
    settings = Settings(database_url=store_url, identity_secret=TEST_IDENTITY_SECRET)
    runtime = build_runtime(settings, retriever=policy_index, warm=False)
    with TestClient(create_app(settings, runtime=runtime)) as c:
        yield c
    runtime.close()


def store_facts(url: str, language: str) -> tuple[str, str, Decimal]:
    """A customer of that language without a year-end coupon yet, and a product under ¥300 that the year-end
    满减 counts (no gift card)."""
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as s:
            holders = set(s.scalars(select(Coupon.customer_id).where(Coupon.campaign_id == "year_end_coupon")))
            customer = next(c for c in s.scalars(select(Customer.id).where(Customer.language == language)
                                                 .order_by(Customer.id)) if c not in holders)
            product, price = s.execute(select(Product.id, Product.price).where(
                Product.price < 300, Product.price > 100, Product.category_key != "gift_card")
                .order_by(Product.id)).first()
            assert s.get(Campaign, "year_end").status == "active"
    finally:
        engine.dispose()
    return customer, product, price




def yuan(value: Decimal) -> str:
    return str(int(value)) if value == value.to_integral_value() else f"{value:.2f}"


@pytest.mark.parametrize(("language", "ask", "claim", "short", "done"), [
    ("zh", "有什么优惠", "领取年终好券", "再买¥{short}就能用满300减50", "已为您领取「年终好券」"),
    ("en", "What deals do you have?", "Claim the year-end coupon", "add ¥{short} more to get ¥50 off ¥300",
     "Done: “Year-end coupon” is yours"),
])
def test_offers_with_the_arithmetic_then_a_claimed_coupon(client: TestClient, store_url: str, language: str,
                                                          ask: str, claim: str, short: str, done: str) -> None:
    customer, product, price = store_facts(store_url, language)
    r = client.post("/api/conversations", json={"channel": "web", "language": language, **signed(customer)})
    cid, token = r.json()["conversation_id"], r.json()["token"]
    with chat_socket(client, cid, token) as ws:
        send(ws, {"type": "interaction", "kind": "added_to_cart", "product_id": product})
        while receive(ws)["type"] != "interaction_recorded":
            pass
        send(ws, {"type": "user_message", "text": ask, "client_msg_id": "m1"})
        offers = bot_message(ws)
        send(ws, {"type": "user_message", "text": claim, "client_msg_id": "m2"})
        claimed = bot_message(ws)
        send(ws, {"type": "user_message", "text": claim, "client_msg_id": "m3"})
        again = bot_message(ws)
    assert short.format(short=yuan(300 - price)) in offers["text"], offers["text"]
    cards = {c["id"]: c for c in offers["cards"]}
    assert cards["year_end"]["type"] == "offer" and cards["year_end_coupon"]["status"] == "claimable"
    assert offers["citations"] and offers["citations"][0]["doc"] == "coupons"
    assert claimed["text"].startswith(done), claimed["text"]
    card = claimed["cards"][0]
    assert card["type"] == "coupon" and card["code"].startswith("CP") and card["discount_text"] == "¥30"
    assert card["code"] in claimed["text"] and again["cards"][0]["code"] == card["code"]
    events = client.get(f"/api/conversations/{cid}/events", headers={"Authorization": f"Bearer {token}"}).json()
    issued = [e["payload"] for e in events["events"] if e["type"] == "coupon_issued"]
    assert len(issued) == 1 and issued[0]["customer_id"] == customer and issued[0]["code"] == card["code"]
    assert issued[0]["requested"] == claim and issued[0]["campaign_id"] == "year_end_coupon"
    made = {(e["payload"]["kind"], e["payload"]["offer_id"]) for e in events["events"] if e["type"] == "offer_made"}
    assert {("campaign", "year_end"), ("coupon", "year_end_coupon")} <= made
    engine = make_engine(store_url)
    try:
        with make_session_factory(engine)() as s:
            row = s.get(Coupon, card["code"])
            assert (row.customer_id, row.campaign_id, row.status, row.discount) == (
                customer, "year_end_coupon", "issued", Decimal("30.00"))
            assert row.claim_key == f"{cid}:year_end_coupon"
    finally:
        engine.dispose()
