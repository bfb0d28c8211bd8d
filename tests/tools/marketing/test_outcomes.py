"""Cross-sell acceptance per rule and click-through per source, counted by hand from small event logs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from agent.events import (
    Event,
    OfferAnswered,
    OfferMade,
    ProductInteracted,
    RecommendationShown,
    UserUttered,
)
from tools.marketing.outcomes import Rate, RuleKey, click_through, rule_acceptance, wilson

pytestmark = pytest.mark.unit

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
CASE_RULE = {"rule_set": "orders-product", "by": "product", "antecedent": ["P001"], "consequent": ["P010"],
             "support": 0.05, "confidence": 0.4, "lift": 3.2}


class Log:
    """Events of one conversation, a second apart, numbered as the store numbers them."""

    def __init__(self, cid: str) -> None:
        self.cid, self.seq, self.events = cid, count(1), []

    def add(self, cls: type[Event], **fields) -> Event:
        seq = next(self.seq)
        event = cls(conversation_id=self.cid, seq=seq, at=T0 + timedelta(seconds=seq), **fields)
        self.events.append(event)
        return event

    def offer(self, rule: dict | None, product: str = "P010", *answers: str) -> OfferMade:
        made = self.add(OfferMade, kind="cross_sell", offer_id=product, need=f"product:{product}", rule=rule)
        for outcome in answers:
            self.add(OfferAnswered, offer_event_id=made.id, kind="cross_sell", offer_id=product, outcome=outcome)
        return made

    def shown(self, *products: str, sources: tuple[str, ...] = (), bandit: str | None = None,
              tool: str = "recommend_products") -> None:
        candidates = [{"product_id": p, "score": 1.0, "source": s} for p, s in zip(products, sources, strict=False)]
        self.add(RecommendationShown, product_ids=list(products), source=tool, candidates=candidates,
                 bandit={"policy": bandit, "propensity": 0.5} if bandit else None)

    def did(self, kind: str, product: str) -> None:
        self.add(ProductInteracted, kind=kind, product_id=product)


def test_wilson_interval_matches_the_formula() -> None:
    low, high = wilson(3, 10)
    assert (round(low, 4), round(high, 4)) == (0.1078, 0.6032)
    assert wilson(0, 0) is None
    assert wilson(0, 5)[0] == 0.0 and wilson(5, 5)[1] == 1.0
    assert Rate.of(0, 0) == Rate(None, None, None)


def test_acceptance_per_rule_counts_each_offer_once() -> None:
    a, b = Log("c1"), Log("c2")
    a.offer(CASE_RULE, "P010", "clicked", "clicked", "added_to_cart")  # accepted; clicked twice counts once
    a.offer(CASE_RULE, "P010", "declined")  # declined
    b.offer({**CASE_RULE, "antecedent": ["P001"]}, "P010", "declined", "purchased")  # changed mind: accepted
    b.offer(CASE_RULE, "P010")  # never answered
    # the same rule written with its items in another order is the same key
    other = {**CASE_RULE, "antecedent": ["P003", "P002"], "consequent": ["P011"], "lift": 1.5}
    b.offer(other, "P011", "purchased")
    b.offer({**other, "antecedent": ["P002", "P003"]}, "P011")
    b.offer(None, "P020", "clicked")  # the catalogue's fit, no rule
    a.add(OfferMade, kind="coupon", offer_id="CPN1")  # not a cross-sell
    a.add(OfferAnswered, offer_event_id="gone", kind="cross_sell", offer_id="P010", outcome="purchased")  # no offer
    a.add(UserUttered, text="thanks")

    rows = {r.key: r for r in rule_acceptance([*b.events, *a.events])}
    assert set(rows) == {
        RuleKey("orders-product", ("P001",), ("P010",)),
        RuleKey("orders-product", ("P002", "P003"), ("P011",)),
        RuleKey(None, (), ()),
    }
    case = rows[RuleKey.of("orders-product", ["P001"], ["P010"])]
    assert (case.offers, case.accepted, case.clicked, case.added_to_cart, case.purchased) == (4, 2, 1, 1, 1)
    assert (case.declined, case.unanswered, case.by) == (1, 1, "product")
    assert case.acceptance.value == 0.5
    assert case.acceptance.low == pytest.approx(wilson(2, 4)[0]) and case.acceptance.high == pytest.approx(
        wilson(2, 4)[1]
    )
    pair = rows[RuleKey.of("orders-product", ["P003", "P002"], ["P011"])]
    assert (pair.offers, pair.accepted, pair.purchased, pair.unanswered, pair.acceptance.value) == (2, 1, 1, 1, 0.5)
    fit = rows[RuleKey(None, (), ())]
    assert (fit.offers, fit.accepted, fit.clicked, fit.by, fit.acceptance.value) == (1, 0, 1, "", 0.0)  # a click only
    assert [r.offers for r in rule_acceptance(a.events + b.events)] == [4, 2, 1]  # most offers first
    assert rule_acceptance([]) == []


def test_click_through_credits_the_latest_list_that_showed_the_product() -> None:
    a = Log("c1")
    a.did("clicked", "P001")  # before any list: credits nothing
    a.shown("P001", "P002", "P003", sources=("model", "co-occurrence", "popular"), bandit="thompson")
    a.did("viewed", "P001")  # a view is a click
    a.did("clicked", "P001")  # the same impression clicked again: still one click
    a.shown("P001", "P004", sources=("model", "compatible"))  # no bandit this time
    a.did("clicked", "P001")  # credits the second list
    a.did("added_to_cart", "P002")  # P002 was last shown in the first list
    a.did("purchased", "P002")
    a.did("clicked", "P999")  # never shown
    b = Log("c2")
    b.shown("P001", "P005", tool="search_products")  # not scored
    b.did("viewed", "P005")
    a.did("clicked", "P005")  # c1 never showed P005: another conversation's list is not credited

    rows = {(r.dimension, r.key): r for r in click_through([*b.events, *a.events])}
    figures = {k: (r.impressions, r.lists, r.clicks, r.added_to_cart, r.purchased) for k, r in rows.items()}
    assert figures == {
        ("all", "all"): (7, 3, 3, 1, 1),
        ("source", "model"): (2, 2, 2, 0, 0),
        ("source", "co-occurrence"): (1, 1, 0, 1, 1),
        ("source", "popular"): (1, 1, 0, 0, 0),
        ("source", "compatible"): (1, 1, 0, 0, 0),
        ("source", "none"): (2, 1, 1, 0, 0),
        ("bandit", "thompson"): (3, 1, 1, 1, 1),
        ("bandit", "none"): (4, 2, 2, 0, 0),
        ("tool", "recommend_products"): (5, 2, 2, 1, 1),
        ("tool", "search_products"): (2, 1, 1, 0, 0),
    }
    total = rows[("all", "all")]
    assert total.ctr.value == pytest.approx(3 / 7) and total.cart_rate.value == pytest.approx(1 / 7)
    assert (total.ctr.low, total.ctr.high) == pytest.approx(wilson(3, 7))
    order = [(r.dimension, r.key) for r in click_through(a.events + b.events)]
    assert order[0] == ("all", "all") and order[1] == ("source", "model")  # dimension order, most impressions first
    assert order.index(("bandit", "none")) < order.index(("bandit", "thompson"))
    assert click_through([]) == []


def test_a_product_listed_twice_in_one_list_is_one_impression() -> None:
    a = Log("c1")
    a.add(RecommendationShown, product_ids=["P001", "P001"], source="recommend_products")
    a.did("clicked", "P001")
    (total, *_) = click_through(a.events)
    assert (total.impressions, total.clicks, total.ctr.value) == (1, 1, 1.0)
