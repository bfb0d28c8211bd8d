"""Text affect as a customer would notice it: anger recognised, sarcasm read as negative, questions neutral.
(The models' accuracy on their held-out splits: test_affect_accuracy.py.)"""

from __future__ import annotations

import threading

import pytest

from agent.affect import LABELS, TextAffect

pytestmark = pytest.mark.unit

NEGATIVE = {"anger", "anxiety", "disappointment"}


def in_both(zh: list[str], en: list[str]) -> list[tuple[str, str]]:
    """(text, language) cases from the texts of each language."""
    return [(text, "zh") for text in zh] + [(text, "en") for text in en]


@pytest.mark.parametrize(("text", "language"), in_both(
    zh=["太好了，又延迟了，真棒👍", "真是太棒了，快递又丢了，谢谢你们哦👍"],
    en=["Oh great, another delay. Just perfect.", "Wonderful, my parcel is late again. Love that for me."],
))
def test_sarcastic_praise_reads_negative(text_affect: TextAffect, text: str, language: str) -> None:
    affect = text_affect.analyze(text, language)
    assert affect.label in NEGATIVE and affect.score < -0.2, affect


@pytest.mark.parametrize(("text", "language"), in_both(
    zh=["你们什么破服务，太差了，气死我了！！", "垃圾平台，骗子！退款拖了一个月还不给！",
        "客服一直踢皮球，我要投诉你们！"],
    en=["This is ridiculous, worst service ever!!", "You people are useless. I want my money back NOW.",
        "I'm furious, nobody has answered me in three days"],
))
def test_anger_is_recognised_strongly(text_affect: TextAffect, text: str, language: str) -> None:
    affect = text_affect.analyze(text, language)
    assert affect.label == "anger", affect
    assert affect.score < -0.5 and affect.intensity >= 0.6, affect


@pytest.mark.parametrize(("text", "language"), in_both(
    zh=["我的订单到哪了", "请问可以开发票吗", "退货地址是哪里？"],
    en=["How long does delivery take?", "Do you ship to Canada?", "What is your warranty policy?"],
))
def test_plain_questions_are_neutral(text_affect: TextAffect, text: str, language: str) -> None:
    affect = text_affect.analyze(text, language)
    assert affect.label == "neutral" and abs(affect.score) <= 0.2, affect


@pytest.mark.parametrize(("text", "language", "label"), [
    ("谢谢，问题已经解决了，非常满意", "zh", "satisfaction"),
    ("Thanks a lot, that fixed it!", "en", "satisfaction"),
    ("明天就要用了，能不能今天发货？很急", "zh", "anxiety"),
    ("I need this by Friday, please hurry", "en", "anxiety"),
])
def test_other_emotions(text_affect: TextAffect, text: str, language: str, label: str) -> None:
    affect = text_affect.analyze(text, language)
    assert affect.label == label, affect
    assert (affect.score > 0) == (label == "satisfaction")


def test_output_ranges_and_empty_text(text_affect: TextAffect) -> None:
    for text in ["", "   ", "!!!", "👍", "KF10000002", "ok", "好"]:
        for lang in ("zh", "en"):
            a = text_affect.analyze(text, lang)
            assert a.label in LABELS and -1 <= a.score <= 1 and 0 <= a.intensity <= 1
    assert text_affect.analyze("  ", "en").label == "neutral"


def test_concurrent_first_use_loads_once_and_agrees() -> None:
    reader = TextAffect()
    texts = [("气死我了！！", "zh"), ("where is my order", "en")] * 8
    results: list[object] = [None] * len(texts)

    def work(i: int) -> None:
        results[i] = reader.analyze(*texts[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[0::2] == [results[0]] * 8 and results[1::2] == [results[1]] * 8
