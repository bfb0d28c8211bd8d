"""The store's shipping rules are stated once in the policy documents (zh, en) and kept by the order-change tool:
the documents must name the couriers the tool accepts, the ones it refuses, and its ship-later bound."""

from __future__ import annotations

import re

import pytest

from knowledge.ingest import default_docs_dir
from tools.commerce.order_changes import MAX_SHIP_DELAY_DAYS, OTHER_COURIERS, STORE_COURIERS

pytestmark = pytest.mark.unit


def _doc(language: str, name: str) -> str:
    return (default_docs_dir() / language / f"{name}.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_shipping_policy_names_exactly_the_couriers_the_tool_accepts(language: str) -> None:
    text = _doc(language, "shipping")
    for zh, en in STORE_COURIERS.values():
        assert (zh if language == "zh" else en) in text
    refused = {"yto": ("圆通", "YTO"), "ems": ("邮政", "China Post"), "ups": ("UPS", "UPS")}
    for key, (zh, en) in refused.items():
        assert key in OTHER_COURIERS and key not in STORE_COURIERS
        assert (zh if language == "zh" else en) in text


@pytest.mark.parametrize(("language", "pattern"), [("zh", r"(\d+)天内"), ("en", r"at most (\d+) days")])
def test_the_ship_later_bound_in_the_policy_is_the_tools(language: str, pattern: str) -> None:
    section = _doc(language, "shipping").split("##")[-5:]  # the wishes section, wherever it sits among the last ones
    bounds = {int(n) for part in section if ("延后" in part or "later shipping date" in part)
              for n in re.findall(pattern, part)}
    assert bounds == {MAX_SHIP_DELAY_DAYS}


@pytest.mark.parametrize(("language", "words"), [("zh", ("合并成一个包裹", "发货前")),
                                                 ("en", ("shipped together in one parcel", "not shipped"))])
def test_the_order_changes_policy_allows_shipping_two_orders_together_before_shipping(language: str,
                                                                                      words: tuple[str, ...]) -> None:
    text = _doc(language, "order_changes")
    assert all(w in text for w in words)
    assert "无法把多个订单合并" not in text and "cannot merge orders" not in text
