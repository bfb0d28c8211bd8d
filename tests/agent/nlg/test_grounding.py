"""Grounding guard: facts in an LLM reply must come from tool results or retrieved passages."""

from __future__ import annotations

import json

import pytest

from agent.nlg.grounding import check_grounded, extract_facts
from agent.numerals import zh_number

pytestmark = pytest.mark.unit

ORDER = json.dumps({
    "order_id": "KF10000002", "status": "shipped", "placed_at": "2026-11-15T09:30:00+00:00", "total": "1299.00",
    "items_zh": ["蓝牙耳机"], "items_en": ["Bluetooth earphones"],
    "shipment": {"carrier": "顺丰速运 SF Express", "tracking_no": "SF1234567890", "status": "in_transit",
                 "eta": "2026-11-19T18:00:00+00:00", "delivered_at": None},
}, ensure_ascii=False)
RETURN = json.dumps({"return_id": "R00000042", "order_id": "KF10000001", "kind": "no_reason",
                     "refund_amount": "199.00"})
POLICY_ZH = "签收后7天内可无理由退货；质量问题15天内包退。退款在仓库收到退货后3–5个工作日内原路退回。会员日全场8折。"
POLICY_EN = ("No-reason returns within 7 days of delivery; quality problems within 15 days. Refunds reach the "
             "original payment method 3-5 business days after the warehouse receives the item. 20% off on member day.")


def ok(reply: str, *grounding: str) -> bool:
    return check_grounded(reply, list(grounding)).ok


def unsupported(reply: str, *grounding: str) -> list[str]:
    return check_grounded(reply, list(grounding)).unsupported


# ------------------------------------------------------------------ passes


def test_correct_order_reply_zh_passes_with_local_date_from_utc_timestamp() -> None:
    # ETA 2026-11-19 18:00 UTC is Nov 20 in Shanghai: the customer-facing date must pass
    reply = "您的订单KF10000002已发货，顺丰运单号SF1234567890，目前运输中，预计11月20日送达，订单金额¥1,299。"
    assert check_grounded(reply, [ORDER]).ok, unsupported(reply, ORDER)


def test_correct_order_reply_en_passes_across_number_formats() -> None:
    reply = "Your order KF10000002 has shipped and is in transit; it should arrive by Nov 20, 2026. Total: CNY 1299."
    assert ok(reply, ORDER)


def test_amount_forms_are_one_value() -> None:
    for reply in ("退款金额199元", "退款 ¥199.00", "refund of 199.00", "refund CNY 199", "退款一百九十九元",
                  "RMB199.0"):
        assert ok(reply + "，退货单号R00000042。", RETURN), reply


def test_days_percent_and_discount_in_either_language() -> None:
    assert ok("签收后七天内可以无理由退货，质量问题15天包退，退款3-5个工作日到账。", POLICY_ZH)
    assert ok("You can return it within 7 days, or 15 days for a quality problem; refunds take 3–5 business days.",
              POLICY_ZH)
    assert ok("There's a 7-day no-reason return window and 20% off on member day.", POLICY_ZH)  # 8折 == 20% off
    assert ok("会员日全场八折，7天无理由退货。", POLICY_EN)
    assert ok("Seven days to return, fifteen-day window for defects.", POLICY_EN)


def test_status_words_match_codes_across_languages() -> None:
    assert ok("订单KF10000002已发货，正在运输中。", ORDER)
    assert ok("Your order KF10000002 is in transit.", ORDER)
    assert ok("还没签收，预计明天到。", ORDER)  # negated status: not delivered is true
    assert ok("It hasn't been delivered yet.", ORDER)


def test_reply_without_facts_passes() -> None:
    assert check_grounded("您好，请问有什么可以帮您？", []).ok
    assert check_grounded("I'm sorry about that. Let me connect you with a colleague.", []).checked == 0


# ------------------------------------------------------------------ catches


def test_invented_order_id_return_id_and_tracking_number() -> None:
    assert unsupported("您的订单KF10000003已发货。", ORDER) == ["KF10000003"]
    assert unsupported("Return R00000043 is in.", RETURN) == ["R00000043"]
    assert unsupported("运单号 SF9999999999。", ORDER) == ["SF9999999999"]
    assert unsupported("Call us at 400-820-8820.", ORDER) == ["400-820-8820"]


def test_wrong_amount_date_and_day_count() -> None:
    assert unsupported("退款金额¥200。", RETURN) == ["¥200"]
    assert unsupported("预计11月21日送达。", ORDER) == ["11月21日"]
    assert unsupported("It should arrive on 21 November.", ORDER) == ["21 November"]
    assert unsupported("签收后30天内可以退货。", POLICY_ZH) == ["30天"]
    assert unsupported("Returns are accepted within a 30-day window.", POLICY_EN) == ["30-day"]
    assert unsupported("退款5-7个工作日到账。", POLICY_ZH) == ["5-7个工作日"]


def test_wrong_status_in_both_languages() -> None:
    assert unsupported("您的订单已签收。", ORDER) == ["已签收"]
    assert unsupported("Your order was delivered yesterday.", ORDER) == ["delivered"]
    assert unsupported("您的订单还没发货。", ORDER) == ["还没发货"]  # it has shipped
    assert unsupported("Your refund has been approved.", RETURN) == ["has been approved"]


def test_wrong_percent_and_discount() -> None:
    assert unsupported("会员日全场7折。", POLICY_ZH) == ["7折"]
    assert unsupported("Members get 30% off.", POLICY_EN) == ["30%"]


def test_digits_inside_ids_and_dates_do_not_back_amounts() -> None:
    # 2026 (a year) and 10000002 (inside an order id) are no evidence for these amounts
    assert unsupported("订单金额2026元。", ORDER) == ["2026元"]
    assert unsupported("退款¥10000002。", ORDER) == ["¥10000002"]


def test_unsupported_listed_once_in_reply_order() -> None:
    result = check_grounded("订单KF10000009金额¥5，订单KF10000009。", [ORDER])
    assert not result.ok and result.unsupported == ["KF10000009", "¥5"]


def test_passage_and_tool_text_combine() -> None:
    reply = "退货单R00000042已提交，退款¥199将在仓库收到后3–5个工作日内退回。"
    assert ok(reply, RETURN, POLICY_ZH)
    assert not ok(reply, RETURN)  # the day count comes only from the policy passage


# ------------------------------------------------------------------ extraction details


def test_zh_numerals() -> None:
    numerals = ("七", "十五", "三十", "一百九十九", "两千", "一万五千")
    assert [zh_number(t) for t in numerals] == [7, 15, 30, 199, 2000, 15000]
    assert zh_number("七天") is None


def test_you_may_is_not_a_month_and_dates_in_several_forms() -> None:
    assert not [f for f in extract_facts("You may 2 items return.") if f.kind == "date"]
    keys = {f.key for f in extract_facts("2026-11-20, 2026年11月20日, 十一月二十日, Nov. 20th, 20 November 2026")}
    assert keys == {("2026", "11", "20"), ("", "11", "20")}
