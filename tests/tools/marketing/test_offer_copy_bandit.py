"""Copy variants compete in the offer bandit with the offers they word: an arm is `offer|variant`, the chosen arm
decides which offer goes first and the words it is put in, the variant shown is recorded on the offer, and claims
credit that (segment, offer|variant). A seeded simulation with known claim rates per variant converges to the best
one; through the turn pipeline, the copy shown is the chosen variant's (zh, en), for the offers the customer asks
for and for a proactive trade-in offer."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from agent.events import CouponIssued, Event, OfferMade
from agent.protocols import ToolContext
from tests.fakes import NOW, MemoryEventStore, MemoryOrders, commerce_tools, make_agent
from tests.fakes.offers import MemoryCampaigns, demo_campaigns
from tools.marketing import offer_log
from tools.marketing.campaigns.rules import Campaign
from tools.marketing.campaigns.variants import VariantBook, template_line
from tools.marketing.claim_tool import ClaimCouponTool
from tools.marketing.offer_bandit import OfferArm, OfferBandit, OfferRewards, segment_of
from tools.marketing.offer_serving import OfferChooser
from tools.marketing.offers_tool import OffersTool
from tools.marketing.proactive_tool import ProactiveOfferTool
from tools.marketing.segments import ShopperHistory

pytestmark = pytest.mark.unit

# C1 used a coupon on 3 of 4 orders (price-sensitive); C2 buys at the top of its categories (quality-sensitive)
HISTORY = {"C1": ShopperHistory(4, 3, 0.5), "C2": ShopperHistory(1, 0, 0.9)}


class History:
    def history(self, customer_id: str) -> ShopperHistory | None:
        return HISTORY.get(customer_id)


def coupon(cid: str, zh: str, en: str, discount: int, min_spend: int) -> dict[str, Any]:
    return {"id": cid, "name_zh": zh, "name_en": en, "kind": "promotion", "starts_at": NOW - timedelta(days=5),
            "ends_at": NOW + timedelta(days=20), "rules": {"type": "coupon", "discount": discount,
                                                            "min_spend": min_spend},
            "budget": None, "spent": Decimal("0"), "per_customer_limit": 1, "segments": [], "status": "active"}


def of(events: list[Event], kind: type) -> list:
    return [e for e in events if isinstance(e, kind)]


# --- a simulation with known claim rates ------------------------------------------------------------------------

# C1 is price-sensitive: each coupon is worded "limited_time" (its segment's angle) or "plain"
RATES = {"spring|limited_time": 0.45, "spring|plain": 0.15, "tea|limited_time": 0.10, "tea|plain": 0.25}
BEST = "spring|limited_time"


async def simulate(seed: int, rounds: int) -> tuple[list[str], OfferBandit]:
    """`rounds` conversations of C1 asking for deals: the offer put first is claimed with its arm's known rate, and
    the chooser learns from the recorded events as the chat's event feed makes it."""
    store, events = MemoryCampaigns([coupon("spring", "春季券", "Spring coupon", 30, 299),
                                     coupon("tea", "茶饮券", "Tea coupon", 20, 199)]), MemoryEventStore()
    bandit = OfferBandit()
    chooser = OfferChooser(bandit, rewards=OfferRewards(claimed=1.0), seed=seed)
    tool = OffersTool(store, events, chooser=chooser, variants=VariantBook(store.category_names), history=History())
    rng = random.Random(seed)
    firsts = []
    for n in range(rounds):
        ctx = ToolContext(f"c{n}", "C1", "zh", NOW)
        result = await tool(tool.Args(topic="有什么优惠"), ctx)
        firsts.append(result.data["first"])
        chooser.observe(result.events)
        if rng.random() < RATES[result.data["first"]]:
            claim = CouponIssued(conversation_id=ctx.conversation_id, code=f"CP{n:06d}",
                                 campaign_id=OfferArm.of_key(result.data["first"]).offer_id, customer_id="C1",
                                 discount="30.00")
            chooser.observe([claim], [*result.events, claim])
    return firsts, bandit


async def test_the_bandit_converges_to_the_best_offer_and_copy_seeded() -> None:
    firsts, bandit = await simulate(seed=13, rounds=400)
    assert set(firsts[:40]) == set(RATES)  # every offer in every variant was tried
    late = firsts[-100:]
    assert late.count(BEST) >= 75, {k: late.count(k) for k in RATES}
    segment = segment_of({"returning", "gold"}, "price_sensitive")  # C1: a returning gold member
    arms = [OfferArm.of_key(k) for k in RATES]
    means = dict(zip(RATES, bandit.means(segment, arms), strict=True))
    assert max(means, key=means.__getitem__) == BEST
    assert means[BEST] == pytest.approx(RATES[BEST], abs=0.1)
    assert bandit.stats[(segment, BEST)].trials > 250  # learnt where it was shown, not from the prior
    again, _ = await simulate(seed=13, rounds=400)
    assert again == firsts  # seeded: the same run twice


async def test_the_trials_rebuilt_from_the_log_are_per_offer_and_variant() -> None:
    store, events = MemoryCampaigns([coupon("spring", "春季券", "Spring coupon", 30, 299)]), MemoryEventStore()
    chooser = OfferChooser(OfferBandit(), seed=1)
    tool = OffersTool(store, events, chooser=chooser, variants=VariantBook(store.category_names), history=History())
    result = await tool(tool.Args(), ToolContext("c", "C1", "en", NOW))
    [made] = of(result.events, OfferMade)
    claim = CouponIssued(conversation_id="c", code="CP1", campaign_id="spring", customer_id="C1", discount="30.00")
    [trial] = offer_log.trials([*result.events, claim], used_codes={"CP1"})
    assert trial.arm == f"spring|{made.variant}" and trial.reward == 1.0
    assert trial.segment == "returning:gold/price_sensitive"


# --- what the customer sees ---------------------------------------------------------------------------------------


def trained(segment: str, best: str, others: list[str]) -> OfferBandit:
    """A bandit that has learnt `best` (an `offer|variant`) is claimed in the segment and the `others` are not."""
    bandit = OfferBandit(floor=0.0)
    for _ in range(60):
        bandit.observe(segment, best, 1.0)
        for arm in others:
            bandit.observe(segment, arm, 0.0)
    return bandit


def offers_agent(chooser: OfferChooser | None):
    store, events = MemoryCampaigns(), MemoryEventStore()
    book = VariantBook(store.category_names)
    tools = [*commerce_tools(MemoryOrders()), ClaimCouponTool(store, events),
             OffersTool(store, events, chooser=chooser, variants=book, history=History())]
    return make_agent(store=events, tools=tools), store, events


def line_of(campaign_id: str, variant: str, language: str, store: MemoryCampaigns) -> str:
    campaign = Campaign.model_validate(store.campaign(campaign_id))
    return template_line(campaign, variant, language, store.category_names()).rstrip("。.")


@pytest.mark.parametrize(("language", "ask", "lead", "claim"), [
    ("zh", "有什么优惠", "· 可领取：", "领取年终好券"),
    ("en", "any deals?", "• Yours to claim: ", "claim the Year-end coupon"),
])
async def test_the_copy_shown_is_the_chosen_variants_and_a_claim_credits_that_arm(
        language: str, ask: str, lead: str, claim: str) -> None:
    segment = "returning:regular/quality_sensitive"  # C2: a returning regular who buys at the top of the range
    others = ["year_coupon|plain", "year_end|quality", "year_end|plain", "winter|quality", "winter|plain",
              "last_one|quality", "last_one|plain"]
    bandit = trained(segment, "year_coupon|quality", others)
    chooser = OfferChooser(bandit, seed=3)
    agent, store, log = offers_agent(chooser)
    await agent.start("c", channel="web", customer_id="C2", language=language)
    result = await agent.handle("c", ask)
    lines = result.reply.text.split("\n")
    expected = line_of("year_coupon", "quality", language, store)
    assert lines[1].startswith(lead + expected), result.reply.text
    assert "全新正品" in lines[1] if language == "zh" else "new and genuine" in lines[1]
    made = {e.offer_id: e for e in of(result.events, OfferMade)}
    first = made["year_coupon"]
    assert (first.variant, first.segment) == ("quality", "quality_sensitive")
    assert first.policy["arm"] == "year_coupon|quality" and first.policy["rank"] == 0
    assert first.policy["segment"] == segment
    assert {a for a in first.policy["arms"]} == {"year_coupon|quality", *others}  # offers and copies compete
    assert sorted(e.policy["rank"] for e in made.values()) == [0, 1, 2, 3]  # each offer once
    assert {e.variant for e in made.values() if e.offer_id != "year_coupon"} == {"plain"}  # the rest: plainly
    assert sum("全新正品" in ln or "new and genuine" in ln for ln in lines) == 1
    card = next(c for c in result.reply.cards if c["id"] == "year_coupon")
    assert card["variant"] == "quality" and card["copy"].rstrip("。.") == expected
    chooser.observe(result.events)
    before = bandit.stats[(segment, "year_coupon|quality")].successes
    claimed = await agent.handle("c", claim)
    assert [e.campaign_id for e in of(claimed.events, CouponIssued)] == ["year_coupon"]
    chooser.observe(claimed.events, await log.load("c"))
    assert bandit.stats[(segment, "year_coupon|quality")].successes == pytest.approx(before + 0.3)


async def test_a_price_minded_customer_sees_the_limited_time_copy_the_bandit_prefers_for_them() -> None:
    segment = "returning:gold/price_sensitive"  # C1
    bandit = trained(segment, "year_end|limited_time",
                     ["year_end|plain", "winter|limited_time", "winter|plain", "year_coupon|limited_time",
                      "year_coupon|plain", "gold_day|limited_time", "gold_day|plain", "last_one|limited_time",
                      "last_one|plain"])
    agent, store, _ = offers_agent(OfferChooser(bandit, seed=4))
    await agent.start("c", channel="web", customer_id="C1", language="zh")
    result = await agent.handle("c", "有什么优惠")
    second = result.reply.text.split("\n")[1]
    assert second.startswith("· " + line_of("year_end", "limited_time", "zh", store)), result.reply.text
    assert "限时进行中" in second and "截止" in second
    made = next(e for e in of(result.events, OfferMade) if e.offer_id == "year_end")
    assert (made.variant, made.segment, made.policy["arm"]) == ("limited_time", "price_sensitive",
                                                                "year_end|limited_time")


async def test_without_a_bandit_the_lead_offer_speaks_the_segments_own_angle_and_the_rest_plainly() -> None:
    agent, _, _ = offers_agent(None)
    await agent.start("c", channel="web", customer_id="C1", language="en")
    result = await agent.handle("c", "what deals do you have")
    made = of(result.events, OfferMade)
    assert [e.variant for e in made].count("limited_time") == 1 and {e.segment for e in made} == {"price_sensitive"}
    assert {e.variant for e in made} == {"limited_time", "plain"}
    assert all(e.policy is None or e.policy.get("name") != "offer_thompson" for e in made)
    assert result.reply.text.count("is on for a limited time") == 1, result.reply.text


# --- a proactive offer ------------------------------------------------------------------------------------------


def trade_in() -> dict[str, Any]:
    return {"id": "trade_in", "name_zh": "以旧换新补贴", "name_en": "Trade-in bonus", "kind": "trade_in",
            "starts_at": NOW - timedelta(days=5), "ends_at": NOW + timedelta(days=40),
            "rules": {"type": "coupon", "discount": 100, "min_spend": 1000, "valid_days": 30, "categories": ["phone"],
                      "keywords": ["以旧换新", "trade-in"]},
            "budget": None, "spent": Decimal("0"), "per_customer_limit": 1, "segments": ["returning"],
            "status": "active"}


async def test_a_proactive_trade_in_offer_is_worded_by_the_bandits_variant_and_its_claim_credits_it() -> None:
    segment = "returning:gold/price_sensitive"  # C1: the bandit learnt the plain words work for them, not the rush
    bandit = trained(segment, "trade_in|plain", ["trade_in|limited_time"])
    chooser = OfferChooser(bandit, seed=5)
    store, events = MemoryCampaigns([*demo_campaigns(), trade_in()]), MemoryEventStore()
    book = VariantBook(store.category_names)
    tools = [*commerce_tools(MemoryOrders()), ClaimCouponTool(store, events), OffersTool(store, events),
             ProactiveOfferTool(store, events, book, history=History(), chooser=chooser)]
    agent = make_agent(store=events, tools=tools)
    await agent.start("c", channel="web", customer_id="C1", language="zh")
    result = await agent.handle("c", "7天无理由退货从哪天开始算？")
    [made] = of(result.events, OfferMade)
    assert (made.kind, made.variant, made.segment) == ("trade_in", "plain", "price_sensitive")
    assert made.policy["arm"] == "trade_in|plain" and made.policy["segment"] == segment
    assert "顺便一提：「以旧换新补贴」满1000减100" in result.reply.text and "限时" not in result.reply.text
    chooser.observe(result.events)
    before = bandit.stats[(segment, "trade_in|plain")].successes
    claimed = await agent.handle("c", "领取以旧换新补贴")
    assert [e.campaign_id for e in of(claimed.events, CouponIssued)] == ["trade_in"]
    chooser.observe(claimed.events, await events.load("c"))
    assert bandit.stats[(segment, "trade_in|plain")].successes == pytest.approx(before + 0.3)
