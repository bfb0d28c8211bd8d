"""Recommendations in chat over the wired server: the list a customer gets changes as soon as they view and add
products (socket frames and REST), an iPhone owner gets cases that fit it, and bad interactions are refused
with clear errors and record nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from server.app import create_app
from server.db.engine import make_engine, make_session_factory
from server.db.models import Order, OrderLine, Product
from server.runtime import Runtime, build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever
from tests.server.console_support import small_store
from tests.services import TEST_IDENTITY_SECRET
from tests.sockets import bot_message, chat_socket, frame_of, send, start_chat
from tools.marketing.bandit import Served

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return small_store(tmp_path_factory, "recommend", customers=60, orders=500)


@pytest.fixture
def runtime(store_url: str, tmp_path: Any) -> Iterator[Runtime]:
    settings = Settings(database_url=store_url, identity_secret=TEST_IDENTITY_SECRET,
                        recommender_model_path=tmp_path / "none.npz",  # no trained model: the catalogue model
                        bandit_policy_path=tmp_path / "policy.npz")  # no policy file: a fresh re-ranking policy
    runtime = build_runtime(settings, retriever=KeywordRetriever(), warm=False)
    yield runtime
    runtime.close()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime.settings, runtime=runtime)) as c:
        yield c


def phone_owner(url: str) -> tuple[str, set[str]]:
    """A customer who bought a phone that some case in the store fits, and the models of every phone they own."""
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as s:
            fits = Counter(m for a in s.scalars(select(Product.attributes).where(Product.category_key == "phone_case"))
                           for m in (a or {}).get("compatible_with", []))
            rows = s.execute(select(Order.customer_id, Product.attributes)
                             .join(OrderLine, OrderLine.order_id == Order.id)
                             .join(Product, Product.id == OrderLine.product_id)
                             .where(Product.category_key == "phone", Order.status != "cancelled")).all()
    finally:
        engine.dispose()
    # the owner of the phone most cases fit: after one case is viewed and another put in the cart, there are more
    customer = max(rows, key=lambda r: (fits[(r[1] or {}).get("model")], r[0]))[0]
    return customer, {a["model"] for c, a in rows if c == customer and (a or {}).get("model")}








@pytest.mark.parametrize(("language", "ask"), [("zh", "推荐一款手机壳"), ("en", "recommend a phone case")])
def test_the_list_changes_after_the_customer_views_and_adds_a_product(
    client: TestClient, runtime: Runtime, store_url: str, language: str, ask: str
) -> None:
    customer, models = phone_owner(store_url)
    cid, token = start_chat(client, customer, language)
    with chat_socket(client, cid, token) as ws:
        send(ws, {"type": "user_message", "text": ask})
        first = bot_message(ws)
        ids = [c["id"] for c in first["cards"]]
        assert ids and all(c["type"] == "product" for c in first["cards"])
        assert all(c["actions"] == ["view", "add_to_cart"] for c in first["cards"])
        phone_cases = "手机壳" if language == "zh" else "phone cases"
        assert phone_cases in first["text"]

        send(ws, {"type": "interaction", "kind": "viewed", "product_id": ids[0]})
        assert frame_of(ws, "interaction_recorded")["product_id"] == ids[0]
        send(ws, {"type": "interaction", "kind": "added_to_cart", "product_id": ids[1]})
        assert frame_of(ws, "interaction_recorded")["kind"] == "added_to_cart"

        send(ws, {"type": "user_message", "text": ask})
        second = bot_message(ws)
    again = [c["id"] for c in second["cards"]]
    assert again and again != ids and ids[1] not in again  # what is in the cart is not offered again
    said = "刚才看过" if language == "zh" else "just looked at"
    assert said in second["text"]
    events = client.get(f"/api/conversations/{cid}/events", headers={"Authorization": f"Bearer {token}"}).json()
    shown = [e["payload"] for e in events["events"] if e["type"] == "recommendation_shown"]
    assert [s["product_ids"] for s in shown] == [ids, again]
    assert all(s["personalised"] for s in shown)
    assert all({"product_id", "score", "source"} <= set(c) for s in shown for c in s["candidates"])
    # the re-ranking policy chose each order, with a propensity per card, and was credited with the rewards
    records = [Served.from_payload(s["bandit"]) for s in shown]
    assert [r.ranking[: len(s["product_ids"])] for r, s in zip(records, shown, strict=True)] == [ids, again]
    assert all(len(r.propensities) == len(s["product_ids"]) and all(0 < p <= 1 for p in r.propensities)
               and sum(r.distribution) == pytest.approx(1.0) for r, s in zip(records, shown, strict=True))
    assert [r.context["session"] for r in records] == ["none", "carted"]
    assert runtime.reranker is not None and runtime.reranker.policy.n == len(ids) + len(again)
    assert runtime.reranker.policy.rr == pytest.approx(0.2**2 + 0.5**2)  # a look (click) and a cart
    # every case shown to the phone's owner fits their phone
    engine = make_engine(store_url)
    with make_session_factory(engine)() as s:
        fits = {p: (a or {}).get("compatible_with", []) for p, a in s.execute(
            select(Product.id, Product.attributes).where(Product.id.in_(ids + again)))}
    engine.dispose()
    assert all(models & {*fits[p], "universal"} for p in ids + again), (models, fits)


def test_the_rest_endpoint_changes_the_next_list_and_refuses_bad_input(client: TestClient) -> None:
    cid, token = start_chat(client, None, "en")
    auth = {"Authorization": f"Bearer {token}"}
    first = client.post(f"/api/conversations/{cid}/messages", json={"text": "recommend a phone case"}, headers=auth)
    ids = [c["id"] for c in first.json()["reply"]["cards"]]
    assert ids and "popular" in first.json()["reply"]["text"]

    ok = client.post(f"/api/conversations/{cid}/interactions", json={"kind": "added_to_cart", "product_id": ids[0]},
                     headers=auth)
    assert ok.status_code == 201 and ok.json()["kind"] == "added_to_cart"
    again = client.post(f"/api/conversations/{cid}/messages", json={"text": "recommend a phone case"}, headers=auth)
    assert ids[0] not in [c["id"] for c in again.json()["reply"]["cards"]]

    before = len(client.get(f"/api/conversations/{cid}/events", headers=auth).json()["events"])
    unknown = client.post(f"/api/conversations/{cid}/interactions", json={"kind": "viewed", "product_id": "NOPE"},
                          headers=auth)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_product"
    kind = client.post(f"/api/conversations/{cid}/interactions", json={"kind": "liked", "product_id": ids[0]},
                       headers=auth)
    assert kind.status_code == 422 and "error" in kind.json()
    _other, other_token = start_chat(client, None, "en")
    foreign = client.post(f"/api/conversations/{cid}/interactions", json={"kind": "viewed", "product_id": ids[0]},
                          headers={"Authorization": f"Bearer {other_token}"})
    assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "invalid_token"
    after = len(client.get(f"/api/conversations/{cid}/events", headers=auth).json()["events"])
    assert after == before  # nothing refused was recorded


def test_a_bad_interaction_frame_gets_an_error_frame_and_the_socket_stays_open(client: TestClient) -> None:
    cid, token = start_chat(client, None, "zh")
    with chat_socket(client, cid, token) as ws:
        send(ws, {"type": "interaction", "kind": "viewed", "product_id": "NOPE"})
        assert frame_of(ws, "interaction_recorded")["code"] == "unknown_product"
        send(ws, {"type": "interaction", "kind": "liked", "product_id": "NOPE"})
        assert frame_of(ws, "interaction_recorded")["code"] == "invalid_frame"
        send(ws, {"type": "user_message", "text": "推荐一款手机壳"})
        assert bot_message(ws)["cards"]


def test_with_the_bandit_off_the_recommenders_order_is_served(store_url: str, tmp_path: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_BANDIT_ENABLED", "false")
    settings = Settings(database_url=store_url, identity_secret=TEST_IDENTITY_SECRET,
                        recommender_model_path=tmp_path / "none.npz")
    runtime = build_runtime(settings, retriever=KeywordRetriever(), warm=False)
    assert runtime.reranker is None
    with TestClient(create_app(settings, runtime=runtime)) as client:
        cid, token = start_chat(client, None, "en")
        auth = {"Authorization": f"Bearer {token}"}
        reply = client.post(f"/api/conversations/{cid}/messages", json={"text": "recommend a phone case"},
                            headers=auth).json()["reply"]
        events = client.get(f"/api/conversations/{cid}/events", headers=auth).json()["events"]
    runtime.close()
    [shown] = [e["payload"] for e in events if e["type"] == "recommendation_shown"]
    assert shown["bandit"] is None and shown["product_ids"] == [c["id"] for c in reply["cards"]]
    scores = [c["score"] for c in shown["candidates"]]
    assert scores == sorted(scores, reverse=True)


def test_interactions_are_rate_limited_per_conversation(store_url: str, tmp_path: Any) -> None:
    settings = Settings(database_url=store_url, identity_secret=TEST_IDENTITY_SECRET,
                        recommender_model_path=tmp_path / "none.npz", limits_interaction_conversation="2/minute")
    runtime = build_runtime(settings, retriever=KeywordRetriever(), warm=False)
    with TestClient(create_app(settings, runtime=runtime)) as client:
        cid, token = start_chat(client, None, "en")
        auth = {"Authorization": f"Bearer {token}"}
        product = client.post(f"/api/conversations/{cid}/messages", json={"text": "recommend a phone case"},
                              headers=auth).json()["reply"]["cards"][0]["id"]
        body = {"kind": "viewed", "product_id": product}
        codes = [client.post(f"/api/conversations/{cid}/interactions", json=body, headers=auth).status_code
                 for _ in range(3)]
        assert codes == [201, 201, 429]
        with chat_socket(client, cid, token) as ws:
            send(ws, {"type": "interaction", **body})
            assert frame_of(ws, "interaction_recorded")["code"] == "rate_limited"
    runtime.close()


def test_interactions_are_rate_limited_per_address_across_conversations(store_url: str, tmp_path: Any) -> None:
    """One client opening conversation after conversation cannot flood the log with card actions; another
    address is not affected."""
    settings = Settings(database_url=store_url, identity_secret=TEST_IDENTITY_SECRET,
                        recommender_model_path=tmp_path / "none.npz", limits_interaction_ip="3/minute")
    runtime = build_runtime(settings, retriever=KeywordRetriever(), warm=False)
    product: str | None = None
    codes = []
    with TestClient(create_app(settings, runtime=runtime), client=("203.0.113.7", 5000)) as client:
        for _ in range(2):
            cid, token = start_chat(client, None, "en")
            auth = {"Authorization": f"Bearer {token}"}
            if product is None:
                reply = client.post(f"/api/conversations/{cid}/messages", json={"text": "recommend a phone case"},
                                    headers=auth).json()["reply"]
                product = reply["cards"][0]["id"]
            codes += [client.post(f"/api/conversations/{cid}/interactions",
                                  json={"kind": "viewed", "product_id": product}, headers=auth).status_code
                      for _ in range(2)]
    with TestClient(create_app(settings, runtime=runtime), client=("203.0.113.8", 5000)) as other:
        cid, token = start_chat(other, None, "en")
        r = other.post(f"/api/conversations/{cid}/interactions", json={"kind": "viewed", "product_id": product},
                       headers={"Authorization": f"Bearer {token}"})
    runtime.close()
    assert codes == [201, 201, 201, 429] and r.status_code == 201
