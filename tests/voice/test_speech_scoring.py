"""The read-back score itself: it must count misses, and not count a written-out id or number as one."""

from __future__ import annotations

import pytest

from tests.voice.speech import recovered

pytestmark = pytest.mark.unit


def test_read_back_counts_words_and_digits_and_misses() -> None:
    assert recovered("Your order KF10000537 is shipped.", "Your order KF-10000537 is shipped", "en") == 1.0
    assert recovered("Your order KF10000537 is shipped.", "your order k f one zero zero zero zero five three seven "
                     "is shipped", "en") == 1.0
    assert recovered("Your order KF10000537 is shipped.", "Your order is shipped.", "en") == pytest.approx(4 / 14)
    assert recovered("Your order is shipped.", "Something else entirely.", "en") == 0.0


def test_read_back_of_chinese_counts_characters() -> None:
    assert recovered("您的订单KF10000537已发货。", "您的订单KF幺零零零零五三七已发货", "zh") == 1.0
    assert recovered("您的订单已发货。", "您的天堂已发货", "zh") == pytest.approx(5 / 7)
