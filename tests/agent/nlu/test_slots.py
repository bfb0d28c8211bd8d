"""Slot extraction: examples per slot, and precision/recall on the labelled slot sets."""

from __future__ import annotations

from datetime import date

import pytest

from agent.nlu.slots import SlotExtractor
from agent.numerals import zh_number
from agent.training.nlu_eval import DATA_FILES, evaluate_slots, load_slot_catalog, load_slot_tests, slot_scores

pytestmark = pytest.mark.unit

TODAY = date(2026, 11, 20)  # a Friday


@pytest.fixture(scope="module")
def slots() -> SlotExtractor:
    categories, products = load_slot_catalog()
    return SlotExtractor(categories, products, TODAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的订单KF10000002到哪了", "KF10000002"),
        ("订单号：kf 1000 0003", "KF10000003"),
        ("order number: KF-2000-0001", "KF20000001"),
        ("订单号 10000004", "KF10000004"),
    ],
)
def test_order_id(slots: SlotExtractor, text: str, expected: str) -> None:
    assert slots.extract(text)["order_id"] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("我想买两个手机壳", 2), ("帮我加一台笔记本", 1), ("数量改成3", 3), ("3 pcs please", 3), ("I need two of them", 2),
     ("x2 of the mouse", 2), ("buy 4 phone cases", 4), ("一块手表", 1)],
)
def test_quantity(slots: SlotExtractor, text: str, expected: int) -> None:
    assert slots.extract(text)["quantity"] == expected


@pytest.mark.parametrize("text", ["7天内可以退吗", "我买了3个月了", "delivery takes 3 days?", "50% off", "两块钱"])
def test_no_quantity_in_durations_and_money(slots: SlotExtractor, text: str) -> None:
    assert "quantity" not in slots.extract(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("昨天买的", "2026-11-19"), ("前天", "2026-11-18"), ("11月20日下的单", "2026-11-20"), ("上周一", "2026-11-09"),
        ("这周三", "2026-11-18"), ("下周二", "2026-11-24"), ("三天前", "2026-11-17"), ("上个月5号", "2026-10-05"),
        ("2026-11-15", "2026-11-15"), ("2026年11月1日", "2026-11-01"), ("last Monday", "2026-11-16"),
        ("next Tuesday", "2026-11-24"), ("yesterday", "2026-11-19"), ("on Nov 3rd, 2026", "2026-11-03"),
        ("the 5th of November", "2026-11-05"), ("2 weeks ago", "2026-11-06"), ("12月28日", "2026-12-28"),
        ("3月15号", "2026-03-15"),
    ],
)
def test_dates_are_iso_relative_to_today(slots: SlotExtractor, text: str, expected: str) -> None:
    assert slots.extract(text)["date"] == expected


def test_today_can_be_a_clock() -> None:
    assert SlotExtractor(today=lambda: date(2027, 1, 3)).extract("昨天")["date"] == "2027-01-02"


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [("¥199", 199, "CNY"), ("199元", 199, "CNY"), ("两百块以内", 200, "CNY"), ("$20", 20, "USD"),
     ("350 dollars", 350, "USD"), ("€45.50", 45.5, "EUR"), ("1,299 dollars", 1299, "USD"), ("￥59.9", 59.9, "CNY")],
)
def test_amounts(slots: SlotExtractor, text: str, value: float, currency: str) -> None:
    assert slots.extract(text)["amount"] == {"value": value, "currency": currency}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("13800138000", "13800138000"), ("电话 139 1234 5678", "13912345678"), ("+86 186-0000-1111", "18600001111"),
     ("call +1 415 555 2671", "+14155552671"), ("香港号码+852 9123 4567", "+85291234567")],
)
def test_phone_numbers(slots: SlotExtractor, text: str, expected: str) -> None:
    assert slots.extract(text)["phone"] == expected


def test_order_id_digits_are_not_phone_or_quantity(slots: SlotExtractor) -> None:
    assert slots.extract("KF13800138 到哪了") == {"order_id": "KF13800138"}


@pytest.mark.parametrize(
    ("text", "kind"),
    [("耳机坏了", "quality"), ("the screen is cracked", "quality"), ("发错货了", "quality"),
     ("不想要了", "no_reason"), ("I changed my mind", "no_reason"), ("尺码不对", "no_reason")],
)
def test_return_kind_and_reason(slots: SlotExtractor, text: str, kind: str) -> None:
    found = slots.extract(text)
    assert found["return_kind"] == kind and found["reason"] == text


def test_catalog_category_and_product(slots: SlotExtractor) -> None:
    found = slots.extract("星耀手机X还有货吗")
    assert found["product"] == "P0001" and found["category"] == "phone"
    assert slots.category("手机壳") == "phone_case"  # the longest keyword wins over 手机
    assert "category" not in slots.extract("信用卡付款失败了")
    assert "category" not in slots.extract("my phone number is 15912345678")


def test_without_catalog_there_is_no_category() -> None:
    assert "category" not in SlotExtractor().extract("我想买手机壳")


def test_chinese_numerals() -> None:
    assert [zh_number(s) for s in ("两", "十二", "二十", "一百零五", "两千", "一千二", "三万")] == [
        2, 12, 20, 105, 2000, 1200, 30000]


def test_slot_f1_on_the_labelled_sets() -> None:
    rows = {r["language"]: r for r in evaluate_slots()}
    assert rows["zh"]["n"] >= 80 and rows["en"]["n"] >= 80
    for row in rows.values():
        assert row["f1"] >= 0.9 and row["f1"] > row["baseline_f1"]
    categories, products = load_slot_catalog()
    dev = slot_scores(load_slot_tests(DATA_FILES / "slots_dev.jsonl"),
                      lambda i: SlotExtractor(categories, products, TODAY).extract(i["text"]))
    assert dev["f1"] >= 0.95


def test_email_is_a_slot_and_hides_its_digits_from_other_slots() -> None:
    x = SlotExtractor()
    assert x.extract("my email is Wang.Fang88@Example.COM")["email"] == "wang.fang88@example.com"
    both = x.extract("订单KF10000002，邮箱 c1@example.com，手机13800138000")
    assert (both["order_id"], both["email"], both["phone"]) == ("KF10000002", "c1@example.com", "13800138000")
    assert "email" not in x.extract("send it to @wang or wang@ please") and "quantity" not in x.extract("a2@b.cn")


@pytest.mark.parametrize("text", [
    "我想买手机壳", "手机壳和手机", "do you have phone cases?", "PHONE CASES please", "a case for my iphone",
    "耳机", "Ｐｈｏｎｅ case", "ſhoes", "İphone", "", "2 phone cases", "nothing in the catalogue",
])
def test_a_message_is_matched_only_against_keys_it_can_name_with_the_same_result(slots: SlotExtractor,
                                                                                 text: str) -> None:
    from agent.nlu.slots import _NOT_PRODUCT, _longest

    masked = _NOT_PRODUCT.sub(" ", text)
    assert slots.category(text) == _longest(slots._categories.entries, masked)
    assert slots.product(text) == _longest(slots._products.entries, masked)
