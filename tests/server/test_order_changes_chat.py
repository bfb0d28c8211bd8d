"""Shipping wishes and order changes (issue 14), through the REST API of the wired server on a demo store with the
real policy documents, zh and en: a courier wish on an unshipped order is stated, confirmed and recorded on the order
(the console shows it); a courier the store does not use, a shipped order or a date too far is refused with the
reason and nothing is recorded; another customer's order reveals nothing; a cancellation before shipping is stated,
and only a yes cancels (units back in stock, the coupon back to the customer, the refund stated); with several
unshipped orders the bot asks which, and the answer carries on. Every customer sentence is written for these tests
(none is taken from the real-traffic development set)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from knowledge.base import KnowledgeBase
from knowledge.ingest import default_docs_dir, ingest
from prompts.render import render
from server.app import create_app
from server.db.engine import make_engine, make_session_factory
from server.db.models import Coupon, Customer, Order, OrderLine, OrderWish, Product, Shipment
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import HashEmbedder
from tests.server.console_support import login, register_accounts, say, small_store, start_chat
from tools.commerce.order_changes import MAX_SHIP_DELAY_DAYS

pytestmark = pytest.mark.integration

STORE_TZ = ZoneInfo("Asia/Shanghai")
_fresh = itertools.count(1)


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return small_store(tmp_path_factory, "order-changes", customers=40, orders=300)


@pytest.fixture(scope="module")
def policy_index(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    index_dir = tmp_path_factory.mktemp("order-changes-kb")
    ingest([default_docs_dir()], index_dir, embedder=HashEmbedder(), progress=False)
    return KnowledgeBase.load(index_dir, HashEmbedder())


@pytest.fixture(scope="module")
def accounts(store_url: str) -> dict[str, str]:
    return register_accounts(store_url, {"operator": "Wang Fang"})


@pytest.fixture
def client(store_url: str, policy_index: KnowledgeBase) -> Iterator[TestClient]:
    from tests.services import TEST_IDENTITY_SECRET

    settings = Settings(database_url=store_url, identity_secret=TEST_IDENTITY_SECRET)
    runtime = build_runtime(settings, retriever=policy_index, warm=False)
    with TestClient(create_app(settings, runtime=runtime)) as c:
        yield c
    runtime.close()


class Store:
    """Direct reads and writes of the test's store: a fresh customer of a language with orders made for the test."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.sessions = make_session_factory(self.engine)

    def customer(self, language: str) -> str:
        """A new customer with no order yet (so the orders the test makes are their only ones)."""
        n = next(_fresh)
        cid = f"T{language.upper()}{n:04d}"
        with self.sessions.begin() as s:
            s.add(Customer(id=cid, name=f"Test {n}", language=language, email=f"t{n}@example.com",
                           phone=f"1380000{n:04d}", address=f"Test road {n}", created_at=datetime.now(UTC)))
        return cid

    def order(self, customer: str, *, status: str = "paid", products: int = 2, coupon: bool = False,
              address: str = "Test road 1", shipped: bool = False) -> str:
        with self.sessions.begin() as s:
            last = s.scalar(select(func.max(Order.id)))
            oid = f"KF{int(last[2:]) + 1:08d}"
            chosen = list(s.scalars(select(Product).where(Product.stock > 5, Product.category_key != "gift_card")
                                    .order_by(Product.id).limit(products)))
            total = sum((p.price for p in chosen), Decimal("0"))
            placed = datetime.now(UTC) - timedelta(days=3 if shipped else 0, hours=2)
            s.add(Order(id=oid, customer_id=customer, status=status, placed_at=placed,
                        paid_at=placed if status != "pending_payment" else None, total=total,
                        shipping_address=address))
            s.flush()
            for p in chosen:
                s.add(OrderLine(order_id=oid, product_id=p.id, quantity=1, unit_price=p.price))
            if shipped:
                s.add(Shipment(order_id=oid, carrier="顺丰速运 SF Express", tracking_no=f"SF99{n_digits(oid)}",
                               status="in_transit", shipped_at=placed + timedelta(hours=5)))
            if coupon:
                s.add(Coupon(code=f"TEST{oid}", customer_id=customer, discount=Decimal("20"),
                             min_spend=Decimal("0"), expires_at=datetime.now(UTC) + timedelta(days=30), status="used",
                             used_order_id=oid))
        return oid

    def status(self, order_id: str) -> str:
        with self.sessions() as s:
            return s.get(Order, order_id).status

    def stock(self, order_id: str) -> dict[str, int]:
        with self.sessions() as s:
            ids = list(s.scalars(select(OrderLine.product_id).where(OrderLine.order_id == order_id)))
            return {p: s.get(Product, p).stock for p in ids}

    def wishes(self, order_id: str) -> list[tuple[str, str, str]]:
        with self.sessions() as s:
            return [(w.kind, w.value, w.status) for w in s.scalars(
                select(OrderWish).where(OrderWish.order_id == order_id).order_by(OrderWish.id))]

    def coupon_status(self, order_id: str) -> tuple[str, str | None]:
        with self.sessions() as s:
            c = s.get(Coupon, f"TEST{order_id}")
            return c.status, c.used_order_id

    def close(self) -> None:
        self.engine.dispose()


def n_digits(order_id: str) -> str:
    return order_id[2:] + "0000"


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store(store_url)
    yield s
    s.close()


def chat(client: TestClient, customer: str | None, language: str) -> Any:
    cid, token = start_chat(client, customer, language)

    def send(text: str) -> dict[str, Any]:
        return say(client, cid, token, text)["reply"]

    send.cid = cid  # type: ignore[attr-defined]
    return send


def events(client: TestClient, cid: str, token_headers: dict[str, str]) -> list[dict[str, Any]]:
    r = client.get(f"/api/operator/conversations/{cid}", headers=token_headers)
    assert r.status_code == 200, r.text
    return r.json()


COURIER_WISH = {"zh": ("麻烦这单给我走京东快递吧", "好的", "京东物流"),
                "en": ("could you send my order with JD Logistics please?", "yes please", "JD Logistics")}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_courier_wish_on_an_unshipped_order_is_stated_confirmed_and_recorded(
        client: TestClient, store: Store, accounts: dict[str, str], language: str) -> None:
    customer = store.customer(language)
    order_id = store.order(customer)
    ask, yes, courier = COURIER_WISH[language]
    send = chat(client, customer, language)
    stated = send(ask)
    assert order_id in stated["text"] and courier in stated["text"]
    assert ("确认" in stated["text"]) if language == "zh" else ("Shall I" in stated["text"])
    assert store.wishes(order_id) == []  # nothing recorded before the yes
    done = send(yes)
    assert order_id in done["text"] and courier in done["text"]
    assert store.wishes(order_id) == [("courier", "jd", "active")]
    # the operator sees it on the order and in the timeline
    detail = events(client, send.cid, login(client, accounts["operator"]))
    shown = next(o for o in detail["orders"] if o["order_id"] == order_id)
    assert [(w["kind"], w["value"]) for w in shown["wishes"]] == [("courier", "jd")]
    recorded = [e for e in detail["events"] if e["type"] == "order_wish_recorded"]
    assert [(e["payload"]["order_id"], e["payload"]["value"]) for e in recorded] == [(order_id, "jd")]


UNUSED_COURIER = {"zh": ("能不能帮我换成圆通发", "圆通"), "en": ("I'd like it shipped by FedEx instead", "FedEx")}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_courier_the_store_does_not_use_is_refused_naming_the_ones_it_does(
        client: TestClient, store: Store, language: str) -> None:
    customer = store.customer(language)
    order_id = store.order(customer)
    ask, named = UNUSED_COURIER[language]
    reply = chat(client, customer, language)(ask)
    assert named in reply["text"]
    for ours in (("顺丰速运", "京东物流", "中通快递") if language == "zh" else ("SF Express", "JD Logistics", "ZTO")):
        assert ours in reply["text"]
    assert store.wishes(order_id) == []


SHIPPED_WISH = {"zh": "订单{oid}帮我改成中通发可以吗", "en": "Could order {oid} go with ZTO instead?"}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_courier_wish_on_a_shipped_order_is_refused_with_the_reason(
        client: TestClient, store: Store, language: str) -> None:
    customer = store.customer(language)
    order_id = store.order(customer, status="shipped", shipped=True)
    send = chat(client, customer, language)
    reply = send(SHIPPED_WISH[language].format(oid=order_id))
    assert order_id in reply["text"] and f"SF99{n_digits(order_id)}" in reply["text"]  # its tracking number
    assert ("已于" in reply["text"] and "不能" in reply["text"]) if language == "zh" else \
        ("already shipped" in reply["text"] and "no longer" in reply["text"])
    assert store.wishes(order_id) == []
    after = send("好的" if language == "zh" else "ok")  # no pending "shall I?" was left behind
    assert store.wishes(order_id) == [] and order_id not in after["text"]


OTHERS_ORDER = {"zh": "订单{oid}不要发了，帮我取消", "en": "please cancel order {oid}, I don't need it"}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_another_customers_order_reveals_nothing_and_changes_nothing(
        client: TestClient, store: Store, language: str) -> None:
    owner, asker = store.customer(language), store.customer(language)
    order_id = store.order(owner)
    nobody = chat(client, asker, language)(OTHERS_ORDER[language].format(oid="KF99999999"))
    send = chat(client, asker, language)
    theirs = send(OTHERS_ORDER[language].format(oid=order_id))
    # exactly as for an order that does not exist (the tone around it follows the customer's words, not the data)
    assert render("order_not_found", language, order_id=order_id) in theirs["text"]
    assert render("order_not_found", language, order_id="KF99999999") in nobody["text"]
    assert not theirs["cards"] and "¥" not in theirs["text"] and "Test road" not in theirs["text"]
    assert send("确认" if language == "zh" else "yes")["text"]  # a yes now has nothing to confirm
    assert store.status(order_id) == "paid" and store.wishes(order_id) == []


CANCEL = {"zh": ("这个订单先不要发了，帮我取消掉", "取消吧", "已取消", "3–5个工作日"),
          "en": ("Please cancel my order, I don't need it anymore", "yes, cancel it", "is cancelled",
                 "3–5 business days")}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_cancellation_before_shipping_happens_only_after_the_yes_and_releases_stock_and_coupon(
        client: TestClient, store: Store, accounts: dict[str, str], language: str) -> None:
    customer = store.customer(language)
    order_id = store.order(customer, coupon=True)
    stock = store.stock(order_id)
    ask, yes, cancelled, refund_days = CANCEL[language]
    send = chat(client, customer, language)
    stated = send(ask)
    assert order_id in stated["text"] and "¥" in stated["text"]
    assert store.status(order_id) == "paid" and store.stock(order_id) == stock  # nothing done yet
    done = send(yes)
    assert order_id in done["text"] and cancelled in done["text"] and refund_days in done["text"]
    assert store.status(order_id) == "cancelled"
    assert store.stock(order_id) == {p: n + 1 for p, n in stock.items()}  # each line's unit back in stock
    assert store.coupon_status(order_id) == ("issued", None)  # the coupon used on it is the customer's again
    detail = events(client, send.cid, login(client, accounts["operator"]))
    assert [e["payload"]["order_id"] for e in detail["events"] if e["type"] == "order_cancelled"] == [order_id]


@pytest.mark.parametrize(("language", "ask", "no"), [("zh", "不要发了，取消订单吧", "算了，还是发吧"),
                                                      ("en", "cancel the order please", "no, leave it")])
def test_a_no_to_the_stated_cancellation_keeps_the_order(client: TestClient, store: Store, language: str, ask: str,
                                                         no: str) -> None:
    customer = store.customer(language)
    order_id = store.order(customer)
    send = chat(client, customer, language)
    assert order_id in send(ask)["text"]
    kept = send(no)
    assert ("没有做任何改动" in kept["text"]) if language == "zh" else ("nothing was changed" in kept["text"])
    assert store.status(order_id) == "paid"


def _store_today() -> date:
    return datetime.now(STORE_TZ).date()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_ship_later_date_within_the_bound_is_recorded_and_one_too_far_is_refused(
        client: TestClient, store: Store, language: str) -> None:
    customer = store.customer(language)
    order_id = store.order(customer)
    soon = _store_today() + timedelta(days=3)
    far = _store_today() + timedelta(days=MAX_SHIP_DELAY_DAYS + 10)
    latest = _store_today() + timedelta(days=MAX_SHIP_DELAY_DAYS)
    send = chat(client, customer, language)
    if language == "zh":
        too_far = send(f"能不能{far.month}月{far.day}号以后再发货")
        assert f"{latest.month}月{latest.day}日" in too_far["text"] and str(MAX_SHIP_DELAY_DAYS) in too_far["text"]
        stated = send(f"那{soon.month}月{soon.day}号之后再发吧")
        assert f"{soon.month}月{soon.day}日" in stated["text"] and order_id in stated["text"]
        send("可以")
    else:
        too_far = send(f"please don't ship it before {far:%B} {far.day}")
        assert f"{latest:%b} {latest.day}" in too_far["text"] and str(MAX_SHIP_DELAY_DAYS) in too_far["text"]
        stated = send(f"then please hold the order until {soon:%B} {soon.day}")
        assert f"{soon:%b} {soon.day}" in stated["text"] and order_id in stated["text"]
        send("sure, go ahead")
    assert store.wishes(order_id) == [("ship_after", soon.isoformat(), "active")]


@pytest.mark.parametrize(("language", "ask", "yes"), [("zh", "请给我发顺丰", "确认"),
                                                      ("en", "please ship with SF Express", "yes")])
def test_with_several_unshipped_orders_the_bot_asks_which_and_the_answer_carries_on(
        client: TestClient, store: Store, language: str, ask: str, yes: str) -> None:
    customer = store.customer(language)
    first, second = store.order(customer), store.order(customer, products=1)
    send = chat(client, customer, language)
    which = send(ask)
    assert first in which["text"] and second in which["text"]
    assert store.wishes(first) == store.wishes(second) == []
    stated = send(second)
    assert second in stated["text"] and first not in stated["text"]
    send(yes)
    assert store.wishes(second) == [("courier", "sf", "active")] and store.wishes(first) == []


@pytest.mark.parametrize(("language", "ask", "yes"), [("zh", "我这两个订单能合并一起发吗", "好的"),
                                                      ("en", "can you ship my two orders together in one box?", "yes")])
def test_two_unshipped_orders_to_one_address_ship_together(client: TestClient, store: Store, language: str, ask: str,
                                                           yes: str) -> None:
    customer = store.customer(language)
    first, second = store.order(customer, address="Same road 8"), store.order(customer, address="Same road 8")
    send = chat(client, customer, language)
    stated = send(ask)
    assert first in stated["text"] and second in stated["text"]
    send(yes)
    assert {w[0] for w in store.wishes(first) + store.wishes(second)} == {"ship_together"}
    assert {store.wishes(first)[0][1], store.wishes(second)[0][1]} == {first, second}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_anonymous_customer_proves_the_order_with_its_phone(client: TestClient, store: Store,
                                                               language: str) -> None:
    customer = store.customer(language)
    order_id = store.order(customer)
    with store.sessions() as s:
        phone = s.get(Customer, customer).phone
    send = chat(client, None, language)
    asked = send(f"订单{order_id}请不要发了" if language == "zh" else f"please cancel order {order_id}")
    assert ("手机号" in asked["text"]) if language == "zh" else ("phone" in asked["text"])
    wrong = send("13999999999")
    assert order_id in wrong["text"] and "¥" not in wrong["text"] and store.status(order_id) == "paid"
    stated = send(phone)
    assert order_id in stated["text"]
    send("确认" if language == "zh" else "yes")
    assert store.status(order_id) == "cancelled"


@pytest.mark.parametrize(("language", "ask"), [("zh", "你们能发韵达吗"), ("en", "do you ship with DHL?")])
def test_a_courier_question_with_no_order_in_view_is_answered_from_the_shipping_policy(
        client: TestClient, store: Store, language: str, ask: str) -> None:
    customer = store.customer(language)
    order_id = store.order(customer)
    reply = chat(client, customer, language)(ask)
    assert [c["doc"] for c in reply["citations"]][:1] == ["shipping"]
    assert order_id not in reply["text"] and store.wishes(order_id) == []


@pytest.mark.parametrize(("language", "about", "wish"), [("zh", "订单{oid}现在什么状态", "那这单换成中通发吧"),
                                                         ("en", "what's the status of order {oid}?",
                                                          "ok, please send that one with ZTO")])
def test_the_order_just_discussed_is_the_one_meant(client: TestClient, store: Store, language: str, about: str,
                                                   wish: str) -> None:
    customer = store.customer(language)
    first, second = store.order(customer), store.order(customer)
    send = chat(client, customer, language)
    assert second in send(about.format(oid=second))["text"]
    stated = send(wish)  # two unshipped orders, but this one was just discussed: no "which one?"
    assert second in stated["text"] and first not in stated["text"]
    assert ("中通快递" in stated["text"]) if language == "zh" else ("ZTO Express" in stated["text"])
