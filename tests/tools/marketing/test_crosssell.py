"""The cross-sell ranking on plain data: the strongest applicable product rule wins, what is owned, offered or out of
stock is skipped, category rules stand in for products without rules of their own, the catalogue's fit for a store
without rules; and the acceptance of the offers made, as the outcome log counts it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from agent.events import OfferAnswered, OfferMade, ProductInteracted
from tests.fakes.crosssell import CATEGORY_RULES, PRODUCT_RULES, SHELF, SOLD, write_rules
from tools.marketing.crosssell import (
    CATEGORY_RULE,
    COMPATIBLE,
    PRODUCT_RULE,
    RuleBook,
    RuleIndex,
    Shelf,
    best,
    rank,
)
from tools.marketing.crosssell.subject import named_product
from tools.marketing.outcomes import RuleKey, rule_acceptance
from tools.marketing.recommender.catalogue import ItemInfo

pytestmark = pytest.mark.unit

SHELF_FIT = Shelf([ItemInfo(p.product_id, p.category, p.stock, p.brand, dict(p.attributes)) for p in SHELF])
RULES = RuleIndex.from_rule_sets([PRODUCT_RULES, CATEGORY_RULES])
NO_RULES = RuleIndex()
POPULAR = {k: float(v) for k, v in SOLD.items()}


def pick(anchors: list[str], rules: RuleIndex = RULES, **kw: object):
    return best(anchors, shelf=SHELF_FIT, rules=rules, popularity=POPULAR, **kw)


def test_the_strongest_product_rule_in_stock_wins() -> None:
    p = pick(["P100"])
    assert p is not None and (p.product_id, p.source, p.anchor) == ("P210", PRODUCT_RULE, "P100")  # P212: no stock
    assert p.rule is not None and p.score == pytest.approx(5.0 * 0.5)
    assert p.rule.to_dict() == {"rule_set": "orders-product", "by": "product", "antecedent": ["P100"],
                                "consequent": ["P210"], "support": 0.04, "confidence": 0.5, "lift": 5.0}
    ranked = rank(["P100"], shelf=SHELF_FIT, rules=RULES, popularity=POPULAR)
    assert [r.product_id for r in ranked] == ["P210", "P200"]  # P300's rule has lift < 1: no association


def test_what_the_customer_owns_or_was_offered_is_skipped() -> None:
    assert pick(["P100"], owned={"P210"}).product_id == "P200"
    assert pick(["P100"], exclude={"P210"}).product_id == "P200"
    assert pick(["P100"], owned={"P210", "P200"}).source == CATEGORY_RULE  # no product rule left: categories speak


def test_category_rules_map_to_the_best_fitting_product_in_stock() -> None:
    p = pick(["P101"])  # a Galaxy: no product rule of its own
    assert p is not None and (p.product_id, p.source) == ("P211", CATEGORY_RULE)  # the Galaxy's protector
    assert p.rule is not None and (p.rule.rule_set, p.rule.by, p.rule.consequent) == (
        "orders-category", "category", ("screen_protector",))
    # a category already in the basket is not offered again: the next rule (phone -> phone case) speaks
    p = pick(["P101", "P211"])
    assert p is not None and (p.product_id, p.rule.consequent) == ("P203", ("phone_case",))


def test_without_rules_the_catalogue_fit_chooses() -> None:
    p = pick(["P100"], rules=NO_RULES)
    assert p is not None and (p.product_id, p.source, p.rule) == ("P210", COMPATIBLE, None)  # fits, sells best
    ranked = rank(["P200"], shelf=SHELF_FIT, rules=NO_RULES, popularity=POPULAR)  # an iPhone case bought
    assert [r.product_id for r in ranked] == ["P210"]  # the iPhone's protector, never the Galaxy's
    assert pick(["P300"], rules=NO_RULES, owned={"P101"}) is None  # coffee beans: nothing fits, nothing offered
    assert pick([], rules=RULES) is None


def test_an_accessory_that_does_not_fit_is_never_offered() -> None:
    owner_of_galaxy = rank(["P220"], shelf=SHELF_FIT, rules=RULES, owned={"P101"}, popularity=POPULAR)
    assert all(SHELF_FIT.info(r.product_id).attributes.get("compatible_with") in (None, ["Galaxy S24"])
               for r in owner_of_galaxy)


def test_an_add_on_is_never_a_device_nor_dearer_than_what_it_goes_with() -> None:
    from tests.fakes.crosssell import rule, rule_set

    upsells = RuleIndex.from_rule_sets([rule_set("x", "product", [
        rule(["P210"], "P100", 0.1, 0.9, 9.0),  # protector -> the phone itself: a device
        rule(["P210"], "P220", 0.1, 0.8, 8.0),  # protector (39) -> charger (99): dearer
        rule(["P200"], "P210", 0.1, 0.2, 2.0),  # case (89) -> protector (39): an add-on
    ])])
    priced = Shelf(SHELF_FIT.items, {p.product_id: float(p.price) for p in SHELF})
    assert best(["P210"], shelf=priced, rules=upsells, popularity=POPULAR) is None
    assert best(["P200"], shelf=priced, rules=upsells, popularity=POPULAR).product_id == "P210"
    assert best(["P210"], shelf=SHELF_FIT, rules=upsells).product_id == "P220"  # no prices known: no ceiling


def test_a_named_product_is_found_by_its_model_the_longest_name_winning() -> None:
    assert named_product("iPhone 16 配什么壳好", SHELF) == "P100"
    assert named_product("what goes with my galaxy s24?", SHELF) == "P101"
    assert named_product("这个和什么搭配", SHELF) is None


def test_rule_files_load_once_and_missing_or_damaged_ones_are_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tools.marketing.crosssell.rulebook")
    empty = RuleBook(tmp_path / "none")
    assert empty.index().product == {} and "catalogue's fit only" in caplog.text
    folder = write_rules(tmp_path / "rules")
    (folder / "broken.json").write_text("{not json", encoding="utf-8")
    book = RuleBook(folder)
    index = book.index()
    assert index is book.index()  # loaded once
    assert sorted(index.rule_sets) == ["orders-category", "orders-product"]
    assert index.counts() == (3, 3)  # the rule with lift < 1 is dropped
    assert "skipping broken.json" in caplog.text


def _offer(cid: str, pid: str, rule: dict | None) -> OfferMade:
    return OfferMade(conversation_id=cid, kind="cross_sell", offer_id=pid, need=f"order:{cid}", rule=rule)


def _answer(offer: OfferMade, outcome: str) -> OfferAnswered:
    return OfferAnswered(conversation_id=offer.conversation_id, offer_event_id=offer.id, kind="cross_sell",
                         offer_id=offer.offer_id, outcome=outcome)


def test_acceptance_of_the_offers_this_tool_makes() -> None:
    """The rule a pick records joins the outcome log's rule key (`tools.marketing.outcomes`), so the console's
    acceptance per rule counts these offers."""
    strong = pick(["P100"]).rule.to_dict()
    a, b, c = _offer("c1", "P210", strong), _offer("c2", "P210", strong), _offer("c3", "P210", strong)
    fit = _offer("c4", "P200", None)
    coupon = OfferMade(conversation_id="c5", kind="coupon", offer_id="SAVE10")
    events = [a, b, c, fit, coupon, ProductInteracted(conversation_id="c1", kind="viewed", product_id="P210"),
              _answer(a, "clicked"), _answer(a, "added_to_cart"), _answer(a, "purchased"),
              _answer(b, "clicked"), _answer(c, "declined"), _answer(fit, "added_to_cart"),
              OfferAnswered(conversation_id="c9", offer_event_id="unknown", kind="cross_sell", offer_id="P1",
                            outcome="purchased")]
    rows = {r.key: r for r in rule_acceptance(reversed(events))}  # any order
    rule = rows[RuleKey.of("orders-product", ["P100"], ["P210"])]
    assert (rule.offers, rule.clicked, rule.added_to_cart, rule.purchased, rule.declined, rule.accepted) == (
        3, 2, 1, 1, 1, 1)
    assert rule.by == "product" and rule.acceptance.value == pytest.approx(1 / 3)
    by_fit = rows[RuleKey(None, (), ())]
    assert (by_fit.offers, by_fit.accepted, by_fit.acceptance.value) == (1, 1, 1.0)
    assert len(rows) == 2
