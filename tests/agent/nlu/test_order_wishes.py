"""The `order_wish` slot: what a customer wants done with an order before it ships, zh and en, and the ship-later date
read forward from the store's today. Sentences written for the tests (none from the real-traffic development set)."""

from __future__ import annotations

from datetime import date

import pytest

from agent.nlu.order_wishes import order_wish, ship_date
from agent.nlu.slots import SlotExtractor

pytestmark = pytest.mark.unit

SUNDAY = date(2026, 12, 6)


@pytest.mark.parametrize(("text", "kind", "courier"), [
    ("麻烦帮我改发顺丰", "courier", "sf"),
    ("这单给我走京东快递吧", "courier", "jd"),
    ("我要用韵达发", "courier", "yunda"),
    ("please send it via ZTO", "courier", "zto"),
    ("could you use FedEx instead?", "courier", "fedex"),
    ("别给我发邮政，换个别的快递", "avoid_courier", "ems"),
    ("我不想用中通", "avoid_courier", "zto"),
    ("please don't ship it with SF", "avoid_courier", "sf"),
])
def test_a_courier_wish_names_the_courier(text: str, kind: str, courier: str) -> None:
    wish = order_wish(text)
    assert wish is not None and (wish["kind"], wish["courier"], wish["asks"]) == (kind, courier, False)


@pytest.mark.parametrize("text", ["能发申通吗", "do you ship with DHL?", "为什么要用邮政发"])
def test_a_plain_question_about_a_courier_is_marked_as_asking(text: str) -> None:
    wish = order_wish(text)
    assert wish is not None and wish["asks"] is True


@pytest.mark.parametrize(("text", "kind"), [
    ("先别发了", "cancel"), ("帮我把订单取消了吧", "cancel"), ("I'd like to cancel this order", "cancel"),
    ("我的两个订单放一起发吧", "ship_together"), ("please combine my orders into one package", "ship_together"),
    ("能拆单吗，有货的先发", "ship_separately"), ("could you ship the things separately?", "ship_separately"),
])
def test_cancel_together_and_separately(text: str, kind: str) -> None:
    wish = order_wish(text)
    assert wish is not None and wish["kind"] == kind


@pytest.mark.parametrize(("text", "expected"), [
    ("等到12号再发货吧", date(2026, 12, 12)),
    ("3、4号再发可以吗", date(2027, 1, 3)),  # the 3rd has passed this month: next month's, the earliest named
    ("下周二以后再寄", date(2026, 12, 8)),
    ("please wait until the 15th to ship it", date(2026, 12, 15)),
    ("don't send it before January 2", date(2027, 1, 2)),
    ("hold the shipment until friday", date(2026, 12, 11)),
])
def test_a_ship_later_date_is_read_forward(text: str, expected: date) -> None:
    wish = order_wish(text)
    assert wish is not None and wish["kind"] == "ship_after"
    assert ship_date(wish["when"], SUNDAY) == expected


def test_a_ship_later_wish_without_a_date_keeps_no_date() -> None:
    wish = order_wish("晚几天再发货吧")
    assert wish is not None and wish["kind"] == "ship_after" and not wish.get("when")


@pytest.mark.parametrize("text", ["我的快递到哪了", "今天能发货吗", "why hasn't my order shipped yet?",
                                  "I want to return this", "发什么快递", "顺丰包邮吗"])
def test_questions_about_shipping_are_no_wish(text: str) -> None:
    assert order_wish(text) is None


def test_the_slot_extractor_carries_the_wish_beside_the_order_id() -> None:
    slots = SlotExtractor().extract("订单KF10000001请给我发顺丰")
    assert slots["order_id"] == "KF10000001"
    assert slots["order_wish"] == {"kind": "courier", "courier": "sf", "asks": False}


@pytest.mark.parametrize(("text", "asks"), [("取消订单的话运费会退吗", True),
                                            ("can I cancel an order after paying?", True),
                                            ("麻烦帮我取消订单", False), ("could you cancel my order?", False)])
def test_a_question_about_cancelling_is_told_from_a_request_to_cancel(text: str, asks: bool) -> None:
    wish = order_wish(text)
    assert wish is not None and wish["kind"] == "cancel" and wish["asks"] is asks
