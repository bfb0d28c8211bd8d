"""Copy variants of an offer line: each segment's angles (its own first), template lines in zh and en with the
campaign's figures, LLM lines written in the background and used once ready (never waited for), a writer that
fails or refuses leaving the template, a changed campaign worded afresh; and the provisional shopper segment."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tools.marketing.campaigns.rules import Campaign
from tools.marketing.campaigns.variants import CopyRequest, VariantBook, angles_for, template_line
from tools.marketing.segments import ShopperHistory, price_position, shopper_segment

pytestmark = pytest.mark.unit

NAMES = {"phone": ("手机", "Phones"), "tablet": ("平板", "Tablets")}


def campaign(discount: int = 100) -> Campaign:
    return Campaign.model_validate({
        "id": "trade_in", "name_zh": "以旧换新补贴", "name_en": "Trade-in bonus", "kind": "trade_in",
        "starts_at": datetime(2026, 11, 10, tzinfo=UTC), "ends_at": datetime(2026, 12, 30, 15, tzinfo=UTC),
        "rules": {"type": "coupon", "discount": discount, "min_spend": 1000, "valid_days": 30,
                  "categories": ["phone", "tablet"]},
        "segments": ["returning"], "per_customer_limit": 1})


class Writer:
    """Writes "<LLM> <template>" for every request, or None (a line the guard refused), or fails."""

    def __init__(self, mode: str = "write") -> None:
        self.mode = mode
        self.requests: list[CopyRequest] = []

    async def write(self, request: CopyRequest) -> str | None:
        self.requests.append(request)
        await asyncio.sleep(0)
        if self.mode == "fail":
            raise RuntimeError("model crashed")
        return None if self.mode == "refuse" else f"<LLM> {request.template}"


@pytest.mark.parametrize(("language", "lines"), [
    ("zh", ["「以旧换新补贴」限时进行中，2026年12月30日截止：满1000减100（限手机、平板），领取后30天内有效",
            "「以旧换新补贴」满1000减100（限手机、平板），领取后30天内有效"]),
    ("en", ["“Trade-in bonus” is on for a limited time, until Dec 30, 2026: ¥100 off orders of ¥1000+ (on phones, "
            "tablets only), valid 30 days after claiming",
            "“Trade-in bonus”: ¥100 off orders of ¥1000+ (on phones, tablets only), valid 30 days after claiming"]),
])
def test_each_segment_gets_its_own_angle_first_as_a_template(language: str, lines: list[str]) -> None:
    book = VariantBook(lambda: NAMES)
    price = book.variants_for(campaign(), "price_sensitive", language)
    assert [(v.id, v.segment, v.source) for v in price] == [("limited_time", "price_sensitive", "template"),
                                                           ("plain", "price_sensitive", "template")]
    assert [v.text for v in price] == lines
    assert [v.id for v in book.variants_for(campaign(), "quality_sensitive", language)] == ["quality", "plain"]
    assert [v.id for v in book.variants_for(campaign(), "default", language)] == ["plain", "limited_time", "quality"]
    assert angles_for("someone_new") == angles_for("default")
    quality = template_line(campaign(), "quality", language, NAMES)
    assert ("手机、平板都是全新正品" if language == "zh" else "the phones, tablets we sell are all new and genuine") \
        in quality


def test_template_lines_follow_edited_terms_and_renamed_categories(monkeypatch: pytest.MonkeyPatch) -> None:
    names = dict(NAMES)
    book = VariantBook(lambda: names)
    assert "满1000减100" in book.variants_for(campaign(), "default", "zh")[0].text
    assert "满1000减80" in book.variants_for(campaign(discount=80), "default", "zh")[0].text  # edited: new figures
    assert "满1000减100" in book.variants_for(campaign(), "default", "zh")[0].text
    names["phone"] = ("智能手机", "Smartphones")
    clock = [0.0]
    monkeypatch.setattr("tools.marketing.campaigns.variants.time.monotonic", lambda: clock[0])
    book._names = None  # (names read at clock 0)
    assert "智能手机" in book.variants_for(campaign(), "default", "zh")[0].text
    names["phone"] = ("手机", "Phones")
    assert "智能手机" in book.variants_for(campaign(), "default", "zh")[0].text  # until the names are read again
    clock[0] = 301.0
    assert "限手机" in book.variants_for(campaign(), "default", "zh")[0].text


async def test_llm_lines_are_written_off_the_turn_and_used_once_ready() -> None:
    writer = Writer()
    book = VariantBook(lambda: NAMES, writer=writer)
    first = book.variants_for(campaign(), "price_sensitive", "zh")  # not started: templates, nothing queued
    assert {v.source for v in first} == {"template"} and writer.requests == []
    await book.start()
    again = await asyncio.to_thread(book.variants_for, campaign(), "price_sensitive", "zh")  # from a thread, too
    assert {v.source for v in again} == {"template"}  # never waits for the writer
    await book.drain()
    ready = book.variants_for(campaign(), "price_sensitive", "zh")
    assert [(v.source, v.text) for v in ready] == [("llm", f"<LLM> {t.text}") for t in first]
    assert [(r.segment, r.variant, r.language) for r in writer.requests] == [
        ("price_sensitive", "limited_time", "zh"), ("price_sensitive", "plain", "zh")]
    book.variants_for(campaign(), "price_sensitive", "zh")
    await book.drain()
    assert len(writer.requests) == 2  # cached per (campaign, segment, variant, language)
    changed = book.variants_for(campaign(discount=120), "price_sensitive", "zh")  # new terms: worded afresh
    assert changed[0].source == "template" and "减120" in changed[0].text
    await book.aclose()


@pytest.mark.parametrize("mode", ["refuse", "fail"])
async def test_a_line_the_writer_cannot_give_stays_the_template_and_is_not_asked_again_at_once(mode: str) -> None:
    writer = Writer(mode)
    book = VariantBook(lambda: NAMES, writer=writer)
    await book.start()
    book.variants_for(campaign(), "quality_sensitive", "en")
    await book.drain()
    later = book.variants_for(campaign(), "quality_sensitive", "en")
    await book.drain()
    assert {v.source for v in later} == {"template"} and len(writer.requests) == 2
    await book.aclose()


@pytest.mark.parametrize(("history", "segment"), [
    (None, "default"),
    (ShopperHistory(0, 0, None), "default"),
    (ShopperHistory(4, 2, 0.9), "price_sensitive"),  # half the orders with a coupon
    (ShopperHistory(4, 1, 0.8), "quality_sensitive"),
    (ShopperHistory(4, 1, 0.2), "price_sensitive"),  # the low end of the price range
    (ShopperHistory(4, 1, 0.5), "default"),
    (ShopperHistory(3, 0, None), "default"),
])
def test_the_provisional_shopper_segment(history: ShopperHistory | None, segment: str) -> None:
    assert shopper_segment(history) == segment


def test_price_position_within_a_category() -> None:
    prices = [float(p) for p in (Decimal(99), Decimal(199), Decimal(299), Decimal(399))]
    assert price_position(99, prices) == 0.125 and price_position(399, prices) == 0.875
    assert price_position(1000, prices) == 1.0 and price_position(50, []) == 0.5
