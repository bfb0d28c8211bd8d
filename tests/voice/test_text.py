"""Replies said sentence by sentence, ids read one character at a time, and spoken ids written back as one."""

from __future__ import annotations

import pytest

from voice.text import SentenceBuffer, sentences, snap_ids, speakable, written

pytestmark = pytest.mark.unit


def test_a_reply_is_said_sentence_by_sentence_without_losing_anything() -> None:
    zh = ("您的订单KF10000002（手机壳）当前状态：已发货。顺丰速运运单号SF1234567890，物流状态：运输中。"
          "预计送达：11月22日")
    assert sentences(zh) == ["您的订单KF10000002（手机壳）当前状态：已发货。",
                             "顺丰速运运单号SF1234567890，物流状态：运输中。", "预计送达：11月22日"]
    en = "Your order KF10000002 is shipped. Refund ¥12.50 is on its way! Anything else?"
    assert sentences(en) == ["Your order KF10000002 is shipped.", "Refund ¥12.50 is on its way!", "Anything else?"]


def test_streamed_deltas_come_out_as_whole_sentences() -> None:
    buffer = SentenceBuffer()
    assert buffer.push("Your order is sh") == []
    assert buffer.push("ipped. It arrives on Fri") == ["Your order is shipped."]
    assert buffer.push("day.") == []
    assert buffer.flush() == ["It arrives on Friday."]


def test_ids_and_prices_are_made_speakable() -> None:
    assert speakable("Your order KF10000002 costs ¥12.50 😊", "en") == "Your order K F 1 0 0 0 0 0 0 2 costs 12.50 yuan"
    assert speakable("您的订单KF10000002，¥12.50", "zh") == "您的订单 K F 幺零零零零零零二，12.50元"
    assert speakable("Latest update (Dec 6, 05:13, Shenzhen): Departed.", "en") == \
        "Latest update, December 6, 5:13, Shenzhen: Departed."


@pytest.mark.parametrize("heard", [
    "Where is my order K F 1 0 0 0 0 0 0 2?",
    "Where is my order KF-1000-0002?",
    "Where is my order K.F. 10000002?",
    "Where is my order k f one zero zero zero zero zero zero two?",
])
def test_a_spoken_order_id_is_written_back_as_one(heard: str) -> None:
    assert written(heard) == "Where is my order KF10000002?"


def test_a_spoken_chinese_order_id_is_written_back_and_other_words_are_kept() -> None:
    assert written("我的订单KF幺零零零零零零二到哪了") == "我的订单KF10000002到哪了"
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
