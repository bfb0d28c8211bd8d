"""Customer profiles on hand-made histories: RFM quintiles and the segment a marketer reads, needs counted from
reviews and messages with the words that showed them, favourite categories and price band."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tools.marketing.insight.behaviour import CustomerHistory, OrderFact, TextFact
from tools.marketing.insight.profile import build_profile, quintile_scores, rfm_scores, segment_of

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def _orders(days_ago: list[int], total: float = 100.0, category: str = "phone", position: float = 0.5):
    return [OrderFact(NOW - timedelta(days=d), total, (category,), (position,)) for d in days_ago]


def test_quintiles_rank_and_ties_share_a_score() -> None:
    scores = quintile_scores({f"c{i}": float(i) for i in range(10)})
    assert [scores[f"c{i}"] for i in range(10)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    tied = quintile_scores({"a": 1.0, "b": 1.0, "c": 1.0, "d": 9.0})
    assert tied["a"] == tied["b"] == tied["c"] < tied["d"]
    assert quintile_scores({"new": 1.0, "old": 300.0}, higher_is_better=False) == {"new": 4, "old": 2}  # mid-ranks


def test_rfm_segments_tell_champions_from_hibernating_customers() -> None:
    histories = [CustomerHistory("fan", orders=_orders([2, 20, 40, 60, 80, 100], 500)),
                 *[CustomerHistory(f"mid{i}", orders=_orders([30 + 10 * i, 120])) for i in range(6)],
                 CustomerHistory("newbie", orders=_orders([1])),
                 CustomerHistory("gone", orders=_orders([340])),
                 CustomerHistory("browser")]
    rfm = rfm_scores(histories, NOW)
    assert "browser" not in rfm and segment_of(None) == "no_orders"
    assert (rfm["fan"].r, rfm["fan"].f, rfm["fan"].m) == (5, 5, 5) and segment_of(rfm["fan"]) == "champions"
    assert segment_of(rfm["gone"]) == "hibernating"
    assert segment_of(rfm["newbie"]) == "new"
    assert rfm["fan"].frequency == 6 and rfm["fan"].monetary == 3000.0


def test_profile_needs_categories_and_price_band() -> None:
    h = CustomerHistory(
        "c1",
        orders=[*_orders([5, 50], category="phone_case", position=0.9), *_orders([90], category="phone", position=0.8)],
        reviews=[TextFact(NOW - timedelta(days=40), "物流太慢了，等了十天才到货。", "zh", 1),
                 TextFact(NOW - timedelta(days=4), "Delivery took forever, arrived two weeks late.", "en", 2)],
        messages=[TextFact(NOW - timedelta(days=3), "快递到哪了？太贵了", "zh")],
    )
    p = build_profile(h, rfm_scores([h], NOW)["c1"])
    assert p.needs[0].tag == "delivery" and p.needs[0].count == 3
    assert "物流" in "".join(p.needs[0].words) or "快递" in "".join(p.needs[0].words)
    assert [n.tag for n in p.needs] == ["delivery", "price"]
    assert p.categories == [("phone_case", 2), ("phone", 1)]
    assert p.price_band == "high" and p.reviews == 2 and p.mean_rating == 1.5
    shown = p.as_dict()
    assert shown["needs"][0]["words"] and shown["rfm"]["code"] == "333"  # alone, the middle of every quintile
    empty = build_profile(CustomerHistory("c2"), None)
    assert (empty.segment, empty.needs, empty.price_band) == ("no_orders", [], "unknown")
