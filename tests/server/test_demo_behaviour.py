"""The demo store's reviews and browsing (`server.demo.behaviour`): reviews are written by the customer who bought
the product, in their language, after delivery, and their needs are ones the tagger reads; complaints come before
lapses far more often than before a next order (the churn signal), and customers look at what they are about to
buy. Pure generation, no database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from server.demo.behaviour import LAPSE_DAYS
from server.demo.generate import generate, reference_now
from tools.marketing.insight import shared_tagger

pytestmark = pytest.mark.unit

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def rows() -> dict:
    return generate(seed=7, as_of=AS_OF, customers=150, orders=1500)


def test_reviews_belong_to_their_orders_and_speak_the_customers_language(rows: dict) -> None:
    now = reference_now(AS_OF)
    orders = {o["id"]: o for o in rows["orders"]}
    lines = {(ln["order_id"], ln["product_id"]) for ln in rows["order_lines"]}
    language = {c["id"]: c["language"] for c in rows["customers"]}
    reviews = rows["reviews"]
    assert len(reviews) > 200 and [r["id"] for r in reviews] == list(range(1, len(reviews) + 1))
    tagger = shared_tagger()
    tagged = 0
    for r in reviews:
        assert orders[r["order_id"]]["customer_id"] == r["customer_id"] and (r["order_id"], r["product_id"]) in lines
        assert r["language"] == language[r["customer_id"]] and 1 <= r["rating"] <= 5 and r["created_at"] < now
        assert orders[r["order_id"]]["placed_at"] < r["created_at"]
        tagged += bool(tagger.tag(r["text"], r["language"]))
    assert tagged / len(reviews) > 0.5  # most reviews say what the customer cares about
    assert {r["rating"] for r in reviews} == {1, 2, 3, 4, 5}


def test_complaints_come_before_lapses(rows: dict) -> None:
    now = reference_now(AS_OF)
    placed: dict[str, list] = {}
    for o in rows["orders"]:
        if o["status"] != "cancelled":
            placed.setdefault(o["customer_id"], []).append(o["placed_at"])
    at = {o["id"]: o["placed_at"] for o in rows["orders"]}
    before_lapse, before_order = [], []
    for r in rows["reviews"]:
        mine = sorted(placed[r["customer_id"]])
        t = at[r["order_id"]]
        nxt = next((p for p in mine if p > t), now)
        (before_lapse if nxt - t >= timedelta(days=LAPSE_DAYS) else before_order).append(r["rating"] <= 2)
    lapse_rate, order_rate = sum(before_lapse) / len(before_lapse), sum(before_order) / len(before_order)
    assert lapse_rate > 2.5 * order_rate and order_rate > 0.03, (lapse_rate, order_rate)


def test_customers_browse_and_cart_before_they_buy(rows: dict) -> None:
    now = reference_now(AS_OF)
    browse = rows["browse_events"]
    assert {b["kind"] for b in browse} == {"view", "cart"} and all(b["at"] < now for b in browse)
    carts = {(b["customer_id"], b["product_id"]) for b in browse if b["kind"] == "cart"}
    buyer = {o["id"]: o["customer_id"] for o in rows["orders"]}
    carted = {ln["order_id"] for ln in rows["order_lines"] if (buyer[ln["order_id"]], ln["product_id"]) in carts}
    assert len(carted) > 0.3 * len(rows["orders"])  # ~70% looked first, ~60% of those put it in the cart
