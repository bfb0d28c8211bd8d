"""One Chinese-numeral reader: the slot parser and the grounding guard read the same figure the same way."""

from __future__ import annotations

import pytest

from agent.nlg.grounding import check_grounded
from agent.nlu.slots import SlotExtractor
from agent.numerals import zh_number

pytestmark = pytest.mark.unit


def test_colloquial_numerals() -> None:
    assert [zh_number(s) for s in ("两", "十二", "一百零五", "一千二", "两百五", "三万五千", "壹佰")] == [
        2, 12, 105, 1200, 250, 35000, None,
    ]


def test_slots_and_guard_agree_on_yiqianer() -> None:
    assert SlotExtractor().extract("一千二块以内的耳机")["amount"] == {"value": 1200.0, "currency": "CNY"}
    assert check_grounded("退款一千二元已原路退回。", ["refund_amount: 1200.00"]).ok
    assert not check_grounded("退款一千二元已原路退回。", ["refund_amount: 1002.00"]).ok
