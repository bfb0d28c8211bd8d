"""Replies said sentence by sentence, ids read one character at a time, and spoken ids written back as one."""

from __future__ import annotations

import pytest

from voice.text import SentenceBuffer, groups, lead_clause, sentences, snap_ids, speakable, written

pytestmark = pytest.mark.unit


def test_a_reply_is_said_sentence_by_sentence_without_losing_anything() -> None:
    zh = (
        "您的订单KF10000002（手机壳）当前状态：已发货。顺丰速运运单号SF1234567890，物流状态：运输中。预计送达：11月22日"
    )
    assert sentences(zh) == [
        "您的订单KF10000002（手机壳）当前状态：已发货。",
        "顺丰速运运单号SF1234567890，物流状态：运输中。",
        "预计送达：11月22日",
    ]
    en = "Your order KF10000002 is shipped. Refund ¥12.50 is on its way! Anything else?"
    assert sentences(en) == ["Your order KF10000002 is shipped.", "Refund ¥12.50 is on its way!", "Anything else?"]


def test_streamed_deltas_come_out_as_whole_sentences() -> None:
    buffer = SentenceBuffer()
    assert buffer.push("Your order is sh") == []
    assert buffer.push("ipped. It arrives on Fri") == ["Your order is shipped."]
    assert buffer.push("day.") == []
    assert buffer.flush() == ["It arrives on Friday."]


def test_ids_and_prices_are_made_speakable() -> None:
    assert (
        speakable("Your order KF10000002 costs ¥12.50 😊", "en") == "Your order K F, 1 0 0 0, 0 0 0 2 costs 12.50 yuan"
    )
    assert speakable("您的订单KF10000002，¥12.50", "zh") == "您的订单 K F 幺零零零，零零零二，12.50元"
    assert (
        speakable("Latest update (Dec 6, 05:13, Shenzhen): Departed.", "en")
        == "Latest update, December 6, 5:13, Shenzhen: Departed."
    )


@pytest.mark.parametrize(
    ("digits", "said"),
    [
        ("1234567", ["1234", "567"]),
        ("10000002", ["1000", "0002"]),
        ("123456789", ["123", "456", "789"]),
        ("1302792807304", ["1302", "792", "807", "304"]),
        ("75310622241137", ["7531", "0622", "241", "137"]),
        ("123456", ["123", "456"]),
        ("12345", ["12345"]),
    ],
)
def test_long_numbers_are_said_in_short_groups_none_left_alone(digits: str, said: list[str]) -> None:
    assert groups(digits) == said and "".join(said) == digits


def test_a_zh_order_status_is_said_as_a_call_centre_says_it_every_fact_kept() -> None:
    assert (
        speakable("您的订单 KF10001172（华为 MatePad 11.5 S 8GB+256GB 灰色）当前状态：已发货。", "zh")
        == "您的订单 K F 幺零零零，幺幺七二，华为 MatePad 11.5 S 8GB加256GB 灰色，当前状态：已经发货。"
    )
    assert (
        speakable("中国邮政 运单号 1302792807304，物流状态：运输中。", "zh")
        == "中国邮政 运单号 幺三零二，七九二，八零七，三零四，物流状态：运输中。"
    )
    assert (
        speakable("京东物流 运单号 JDV615926744355，物流状态：已签收。", "zh")
        == "京东物流 运单号 J D V 六幺五九，二六七四，四三五五，物流状态：已经签收。"
    )
    assert (
        speakable("最新物流（12月6日 05:09，济南转运中心）：快件已到达【济南转运中心】。", "zh")
        == "最新物流，12月6日 5点09分，济南转运中心：快件已经到达，济南转运中心。"
    )
    assert (
        speakable("已付的 ¥2299.00 将在3–5个工作日内原路退回。", "zh") == "已经付的 2299元 将在3到5个工作日内原路退回。"
    )


def test_an_en_order_status_is_said_with_numbers_as_digits_and_amounts_as_amounts() -> None:
    assert (
        speakable("EMS tracking number 1302792807304, shipment status: in transit.", "en")
        == "EMS tracking number 1 3 0 2, 7 9 2, 8 0 7, 3 0 4, shipment status: in transit."
    )
    assert (
        speakable("The ¥2299.00 you paid will be refunded within 3–5 business days.", "en")
        == "The 2299 yuan you paid will be refunded within 3 to 5 business days."
    )
    assert speakable("“HUAWEI nova 13 512GB Purple” ¥2999.00.", "en") == "HUAWEI nova 13 512GB Purple, 2999 yuan."
    assert (
        speakable("Your order KF10001172 (HUAWEI MatePad 8GB+256GB Grey) is shipped.", "en")
        == "Your order K F, 1 0 0 0, 1 1 7 2, HUAWEI MatePad 8GB plus 256GB Grey, is shipped."
    )


def test_what_is_not_an_id_a_range_or_a_time_is_said_as_written() -> None:
    assert speakable("预计 2026年12月7日 送达。", "zh") == "预计 2026年12月7日 送达。"  # years and dates stay
    assert speakable("It was delivered on Dec 4, 2026.", "en") == "It was delivered on December 4, 2026."
    assert speakable("按0转人工。", "zh") == "按0转人工。"


@pytest.mark.parametrize(
    "heard",
    [
        "Where is my order K F 1 0 0 0 0 0 0 2?",
        "Where is my order KF-1000-0002?",
        "Where is my order K.F. 10000002?",
        "Where is my order k f one zero zero zero zero zero zero two?",
        "Where is my order K F, 1 0 0 0, 0 0 0 2?",
        "Where is my order KF? 1,000,0002?",  # a pause after the letters, heard as a question
    ],
)
def test_a_spoken_order_id_is_written_back_as_one(heard: str) -> None:
    assert written(heard) == "Where is my order KF10000002?"


def test_a_spoken_chinese_order_id_is_written_back_and_other_words_are_kept() -> None:
    assert written("我的订单KF幺零零零零零零二到哪了") == "我的订单KF10000002到哪了"
    assert written("我的订单KF幺零零零，零零零二，到哪了") == "我的订单KF10000002，到哪了"  # said in groups
    assert written("我的订单KF-1000、0002到哪了") == "我的订单KF10000002到哪了"
    assert written("I want one phone case") == "I want one phone case"


def test_a_nearly_right_id_is_snapped_to_the_callers_own_order_and_only_then() -> None:
    mine = ["KF10001190", "KF10000537", "KF10000012"]
    assert snap_ids("Where is my order KF1001190?", mine) == "Where is my order KF10001190?"  # a zero dropped
    assert snap_ids("order KF100500537", mine) == "order KF10000537"  # a digit doubled
    assert snap_ids("order KF55555555", mine) == "order KF55555555"  # nobody's near: left as heard
    assert snap_ids("order KF1000119", ["KF10001190", "KF10001191"]) == "order KF1000119"  # two as near: as heard
    assert snap_ids("order KF1001190", []) == "order KF1001190"  # an anonymous caller: nothing to snap to
    assert snap_ids("我的订单10001190到哪了", mine) == "我的订单KF10001190到哪了"  # the letters lost
    assert snap_ids("order 1000-1190 please", mine) == "order KF10001190 please"
    assert snap_ids("call me at 13800138000", mine) == "call me at 13800138000"  # no order's digits
    assert snap_ids("2026", mine) == "2026"  # short numbers are not ids


def test_a_reply_starts_with_its_first_clause_and_no_fragment_is_a_single_word() -> None:
    en = speakable("Your order KF10000002 (Star Phone X) is shipped.", "en")
    assert lead_clause(en, "en") == ["Your order K F,", "1 0 0 0, 0 0 0 2, Star Phone X, is shipped."]
    zh = speakable("您的订单KF10001190（索尼降噪耳机）当前状态：已发货。", "zh")
    head, rest = lead_clause(zh, "zh")
    assert head == "您的订单 K F 幺零零零，" and head + rest == zh  # every character said, in order
    # "Hi," alone, "Okay," alone: too short to say apart; no break at all: the sentence whole
    for text, language in [
        ("Hi, where is my order?", "en"),
        ("Okay, connecting you now.", "en"),
        ("Which order is it?", "en"),
        ("请问是哪个订单？", "zh"),
        ("好的，稍等。", "zh"),
    ]:
        assert lead_clause(text, language) == [text]


@pytest.mark.parametrize(("written_text", "said"), [
    ("当前状态：已发货。", "当前状态：已经发货。"),
    ("快件已到达【东莞转运中心】。", "快件已经到达，东莞转运中心。"),
    ("已经发货了", "已经发货了"),
    ("已于 2026年11月7日 签收。", "已经于 2026年11月7日 签收。"),
])
def test_a_lone_already_is_said_as_spoken_mandarin_says_it(written_text: str, said: str) -> None:
    """已 before a verb is written register; said alone on the phone it is heard as 以 or 一."""
    assert speakable(written_text, "zh") == said
