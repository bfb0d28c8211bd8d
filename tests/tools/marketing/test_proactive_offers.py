"""Proactive offers through the turn pipeline (trained NLU and affect, in-memory store; see `tests.fakes.offers`
plus a trade-in campaign for returning customers): a trade-in offer after a returns question answered from the
documents or a return filed — with the copy variant of the customer's segment, recorded — never to an upset
customer, one waiting for a person, a new or anonymous customer, never twice; its coupon claimed by the card's
words, by "claim it" or "要这张" (misread by the intent model before); "我要领新人券" is a claim, not a request
for a person; a nudge when the cart is close to a spend threshold after an order question."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from agent.events import CouponIssued, Event, HandoffRequested, OfferMade, ProductInteracted
from tests.fakes import NOW, MemoryEventStore, MemoryOrders, commerce_tools, make_agent
from tests.fakes.offers import MemoryCampaigns, demo_campaigns
from tools.marketing.campaigns.variants import CopyRequest, VariantBook
from tools.marketing.claim_tool import ClaimCouponTool
from tools.marketing.offers_tool import OffersTool
from tools.marketing.proactive_tool import ProactiveOfferTool
from tools.marketing.segments import ShopperHistory

pytestmark = pytest.mark.unit

RETURNS = {"zh": "7天无理由退货从哪天开始算？", "en": "How many days do I have to return an item?"}
# C1 used a coupon on 3 of 4 orders (price-sensitive); C2 buys at the top of its categories (quality-sensitive)
HISTORY = {"C1": ShopperHistory(4, 3, 0.5), "C2": ShopperHistory(1, 0, 0.9), "C9": ShopperHistory(0, 0, None)}


def trade_in(**extra: Any) -> dict[str, Any]:
    return {"id": "trade_in", "name_zh": "以旧换新补贴", "name_en": "Trade-in bonus", "kind": "trade_in",
            "starts_at": NOW - timedelta(days=5), "ends_at": NOW + timedelta(days=40),
            "rules": {"type": "coupon", "discount": 100, "min_spend": 1000, "valid_days": 30, "categories": ["phone"],
                      "keywords": ["以旧换新", "trade-in"]},
            "budget": None, "spent": Decimal("0"), "per_customer_limit": 1, "segments": ["returning"],
            "status": "active", **extra}


class History:
    def history(self, customer_id: str) -> ShopperHistory | None:
        return HISTORY.get(customer_id)


class Writer:
    """An LLM copy writer that words every line as "【LLM】<template>" (what passed the guard)."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, str]] = []

    async def write(self, request: CopyRequest) -> str | None:
        self.asked.append((request.segment, request.variant, request.language))
        return f"【LLM】{request.template}"


def proactive_agent(rows: list[dict[str, Any]] | None = None, writer: Writer | None = None):
    store, events = MemoryCampaigns([*demo_campaigns(), trade_in()] if rows is None else rows), MemoryEventStore()
    book = VariantBook(store.category_names, writer=writer)
    tools = [*commerce_tools(MemoryOrders()), ClaimCouponTool(store, events), OffersTool(store, events),
             ProactiveOfferTool(store, events, book, history=History())]
    return make_agent(store=events, tools=tools), store


def of(events: list[Event], kind: type) -> list:
    return [e for e in events if isinstance(e, kind)]


async def start(agent, customer: str | None, language: str, cid: str = "c") -> None:
    await agent.start(cid, channel="web", customer_id=customer, language=language)


@pytest.mark.parametrize(("language", "line", "claim"), [
    ("zh", "顺便一提：「以旧换新补贴」限时进行中，2026年12月30日截止：满1000减100（限手机），领取后30天内有效。"
           "需要的话，点券上的“领取”或者说“领取以旧换新补贴”就能领。", "领取以旧换新补贴"),
    ("en", "By the way: “Trade-in bonus” is on for a limited time, until Dec 30, 2026: ¥100 off orders of ¥1000+ "
           "(on phones only), valid 30 days after claiming. Tap “Claim” on the coupon or say “Claim Trade-in bonus” "
           "if you'd like it.", "Claim Trade-in bonus"),
])
async def test_a_returns_answer_is_followed_by_the_trade_in_offer_and_its_claim(
        language: str, line: str, claim: str) -> None:
    agent, _ = proactive_agent()
    await start(agent, "C1", language)
    result = await agent.handle("c", RETURNS[language])
    reply = result.reply
    assert reply.citations[0]["doc"] == "returns" and reply.text.endswith(line), reply.text
    [card] = reply.cards
    assert (card["type"], card["id"], card["status"], card["claim_text"]) == ("coupon", "trade_in", "claimable", claim)
    assert claim in reply.quick_replies
    [made] = of(result.events, OfferMade)
    assert (made.kind, made.offer_id, made.need, made.source) == ("trade_in", "trade_in", "policy:returns",
                                                                  "proactive_offer")
    assert (made.segment, made.variant) == ("price_sensitive", "limited_time")  # the segment's own angle

    claimed = await agent.handle("c", claim)  # what the card's claim action says (read as a policy question)
    [issued] = of(claimed.events, CouponIssued)
    assert issued.campaign_id == "trade_in" and claimed.reply.cards[0]["status"] == "held"
    assert not of(claimed.events, OfferMade)  # no second offer in the turn of the claim


async def test_a_quality_minded_customer_gets_the_quality_angle() -> None:
    agent, _ = proactive_agent()
    await start(agent, "C2", "zh")
    result = await agent.handle("c", RETURNS["zh"])
    [made] = of(result.events, OfferMade)
    assert (made.segment, made.variant) == ("quality_sensitive", "quality")
    assert "手机都是全新正品，买得放心" in result.reply.text


async def test_the_llm_line_is_written_after_the_first_offer_and_shown_from_then_on() -> None:
    writer = Writer()
    agent, _ = proactive_agent(writer=writer)
    await start(agent, "C1", "zh")
    first = await agent.handle("c", RETURNS["zh"])  # the turn does not wait for the LLM: the template
    assert "顺便一提：「以旧换新补贴」限时进行中" in first.reply.text
    await agent.tools.get("proactive_offer")._variants.drain()  # written in the background meanwhile
    assert writer.asked == [("price_sensitive", "limited_time", "zh"), ("price_sensitive", "plain", "zh")]
    await start(agent, "C1", "zh", cid="d")
    later = await agent.handle("d", RETURNS["zh"])
    assert "顺便一提：【LLM】「以旧换新补贴」限时进行中" in later.reply.text
    assert [(m.variant, m.segment) for m in of(later.events, OfferMade)] == [("limited_time", "price_sensitive")]


@pytest.mark.parametrize(("customer", "turns"), [
    ("C1", ["退货太麻烦了，气死我了！7天无理由退货到底从哪天开始算？"]),  # angry
    ("C1", ["转人工", RETURNS["zh"]]),  # waiting for a person
    ("C9", [RETURNS["zh"]]),  # a new customer: the campaign is for returning ones
    (None, [RETURNS["zh"]]),  # anonymous
])
async def test_no_trade_in_offer_to_the_upset_the_waiting_or_those_it_is_not_for(
        customer: str | None, turns: list[str]) -> None:
    agent, _ = proactive_agent()
    await start(agent, customer, "zh")
    results = [await agent.handle("c", text) for text in turns]
    assert results[-1].reply.citations or of(results[-1].events, HandoffRequested)
    assert not any(of(r.events, OfferMade) for r in results)
    assert "以旧换新" not in results[-1].reply.text


async def test_the_offer_is_made_once_and_after_a_return_filed_claim_it_claims_it() -> None:
    agent, store = proactive_agent()
    await start(agent, "C1", "en")
    stated = await agent.handle("c", "I want to return order KF10000001, I changed my mind")
    assert not of(stated.events, OfferMade)  # the return is only stated: no need met yet
    filed = await agent.handle("c", "yes")
    [made] = of(filed.events, OfferMade)
    assert made.need.startswith("return:R") and "Trade-in bonus" in filed.reply.text
    again = await agent.handle("c", RETURNS["en"])  # another need, the same campaign: not offered twice
    assert again.reply.citations and not of(again.events, OfferMade)
    claimed = await agent.handle("c", "claim it")  # read as a complaint by the intent model
    assert [e.campaign_id for e in of(claimed.events, CouponIssued)] == ["trade_in"]
    assert store.issued[0][0] == "C1"


async def test_yao_zhe_zhang_after_the_offer_claims_the_coupon_offered() -> None:
    agent, _ = proactive_agent()
    await start(agent, "C1", "zh")
    await agent.handle("c", "有什么优惠")  # two claimable coupons offered in an earlier turn
    await agent.handle("c", RETURNS["zh"])
    claimed = await agent.handle("c", "要这张")  # read as a plain yes by the intent model
    assert [e.campaign_id for e in of(claimed.events, CouponIssued)] == ["trade_in"], claimed.reply.text


@pytest.mark.parametrize(("text", "language"), [("要这张", "zh"), ("claim it", "en")])
async def test_pointing_at_a_coupon_when_none_was_offered_asks_which(text: str, language: str) -> None:
    agent, store = proactive_agent([*demo_campaigns(), trade_in(status="paused")])
    await start(agent, "C2", language)
    result = await agent.handle("c", text)
    assert not of(result.events, CouponIssued) and not store.issued
    choose = "您现在可以领取这些券：" if language == "zh" else "You can claim these coupons:"
    assert result.reply.text.startswith(choose)


@pytest.mark.parametrize(("text", "language"), [("我要领新人券", "zh"), ("I'd like to claim the welcome coupon", "en")])
async def test_asking_for_the_welcome_coupon_is_a_claim_not_a_request_for_a_person(text: str, language: str) -> None:
    agent, _ = proactive_agent()
    await start(agent, "C9", language)
    result = await agent.handle("c", text)
    assert not of(result.events, HandoffRequested) and result.state.handoff == "bot"
    assert [e.campaign_id for e in of(result.events, CouponIssued)] == ["welcome"], result.reply.text


async def test_a_question_about_claiming_is_no_claim() -> None:
    agent, store = proactive_agent()
    await start(agent, "C9", "zh")
    result = await agent.handle("c", "领取新人券需要什么条件")
    assert not of(result.events, CouponIssued) and not store.issued


@pytest.mark.parametrize(("cart", "nudged"), [(["P0002", "P0005"], True), (["P0002"], False)])
async def test_an_order_question_with_a_cart_close_to_a_threshold_gets_a_nudge(cart: list[str], nudged: bool) -> None:
    agent, _ = proactive_agent()
    await start(agent, "C2", "zh")
    await agent.record("c", [ProductInteracted(conversation_id="c", kind="added_to_cart", product_id=p) for p in cart])
    result = await agent.handle("c", "我的订单KF20000001到哪了？")
    assert "KF20000001" in result.reply.text
    made = of(result.events, OfferMade)
    if not nudged:  # ¥59: ¥241 short of ¥300, not close
        assert not made and "顺便提醒" not in result.reply.text
        return
    assert [(m.kind, m.offer_id, m.need) for m in made] == [("campaign", "year_end", "order:KF20000001")]
    assert result.reply.text.endswith("按您购物车里的商品（¥263）算，再买¥37就能用满300减50。"), result.reply.text
    assert result.reply.cards[-1]["id"] == "year_end" and result.reply.cards[-1]["type"] == "offer"
    again = await agent.handle("c", "我的订单KF20000001到哪了？")
    assert not of(again.events, OfferMade)
