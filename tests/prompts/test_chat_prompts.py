"""LLM prompts: a stable system prompt per language and a facts block the model can quote."""

from __future__ import annotations

import pytest

from prompts.chat import render_facts, render_turn, system_prompt

pytestmark = pytest.mark.unit

ORDER = {
    "order_id": "KF10000002", "status": "shipped", "placed_at": "2026-11-15T09:30:00+00:00", "total": "1299.00",
    "items_zh": ["蓝牙耳机", "手机壳"], "items_en": ["Bluetooth earphones", "Phone case"],
    "shipment": {"carrier": "顺丰速运 SF Express", "tracking_no": "SF1234567890", "status": "in_transit",
                 "eta": "2026-11-19T18:00:00+00:00", "delivered_at": None, "latest_event": None},
}


def test_system_prompts_exist_are_stable_and_state_the_rules() -> None:
    zh, en = system_prompt("zh"), system_prompt("en")
    assert zh is system_prompt("zh")
    assert "事实" in zh and "人工" in zh and "编造" in zh
    assert "FACTS" in en and "person" in en and "invent" in en
    assert system_prompt("fr") == zh  # unknown language falls back to zh


def test_facts_zh_localises_status_dates_and_names() -> None:
    block = render_facts("zh", ORDER)
    assert "订单号: KF10000002" in block
    assert "状态: 已发货" in block and "状态: 运输中" in block
    assert "蓝牙耳机、手机壳" in block and "Bluetooth" not in block
    assert "顺丰速运" in block and "SF Express" not in block
    assert "2026年11月20日 02:00" in block  # 18:00 UTC is the next day in Shanghai
    assert "delivered_at" not in block and "None" not in block


def test_facts_en_and_passages_and_notes() -> None:
    passage = {"title": "Returns", "text": "Returns within  7 days\n of delivery."}
    block = render_facts("en", ORDER, [passage], notes=["Customer mood: anxious"])
    assert "Status: shipped" in block and "Status: in transit" in block
    assert "Nov 20, 2026 02:00" in block and "Bluetooth earphones, Phone case" in block
    assert 'Store policy "Returns":\nReturns within 7 days of delivery.' in block
    assert block.endswith("- Customer mood: anxious")


def test_empty_facts_say_so_and_turn_puts_facts_before_the_customer() -> None:
    assert render_facts("zh") == "（无）"
    turn = render_turn("en", "  where is it? ", render_facts("en"))
    assert turn.index("FACTS") < turn.index("CUSTOMER: where is it?")
