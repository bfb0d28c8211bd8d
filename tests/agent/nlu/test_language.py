"""Per-turn language detection: zh / en, mixed input, ids, one-word replies."""

from __future__ import annotations

import pytest

from agent.language import detect_language, localized_name
from agent.training.nlu_eval import evaluate_language

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "previous", "expected"),
    [
        ("我的订单到哪了", None, "zh"),
        ("Where is my order?", None, "en"),
        ("KF10000001到哪了", None, "zh"),
        ("where is KF10000002", None, "en"),
        ("KF10000001", "en", "en"),  # an order id alone is no language
        ("ok", "zh", "zh"),  # a one-word reply keeps the conversation's language
        ("yes", "en", "en"),
        ("👍", "zh", "zh"),
        ("退货 refund", None, "zh"),
        ("我要refund", None, "zh"),
        ("I bought a 手机壳 yesterday and it broke", None, "en"),
        ("tk到账了吗", None, "zh"),
        ("MacBook Air", "zh", "zh"),  # a product name is not a switch to English
        ("https://shop.example.com/p/1 这个有货吗", None, "zh"),
        ("???", None, "zh"),  # nothing to go on: the default
    ],
)
def test_detect_language(text: str, previous: str | None, expected: str) -> None:
    assert detect_language(text, previous=previous) == expected


def test_labelled_set() -> None:
    (row,) = evaluate_language()
    assert row["n"] >= 60 and row["accuracy"] >= 0.95


def test_localized_name() -> None:
    assert localized_name("顺丰速运 SF Express", "zh") == "顺丰速运"
    assert localized_name("顺丰速运 SF Express", "en") == "SF Express"
