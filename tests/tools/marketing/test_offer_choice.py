"""Which offer the chat puts first and what an experiment arm changes, through the turn pipeline: the bandit's
choice leads the answer and is logged with its propensity; a claim credits it; a customer in an experiment gets
their arm's threshold in the arithmetic and in the coupon they claim, and is recorded once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from agent.events import CouponIssued, ExperimentAssigned, OfferMade, ProductInteracted
from tests.fakes import MemoryEventStore, MemoryOrders, commerce_tools, make_agent
from tests.fakes.commerce import NOW
from tests.fakes.experiments import MemoryExperiments
from tests.fakes.offers import MemoryCampaigns
from tools.marketing.claim_tool import ClaimCouponTool
from tools.marketing.experiments import Experiment
from tools.marketing.offer_bandit import OfferBandit
from tools.marketing.offer_serving import OfferChooser
from tools.marketing.offers_tool import OffersTool

pytestmark = pytest.mark.unit


def agent_with(chooser: OfferChooser | None = None, experiments: MemoryExperiments | None = None):
    store, events = MemoryCampaigns(), MemoryEventStore()
    tools = [*commerce_tools(MemoryOrders()), ClaimCouponTool(store, events, experiments=experiments),
             OffersTool(store, events, chooser=chooser, experiments=experiments)]
    return make_agent(store=events, tools=tools), store, events


def experiment(campaign: str, threshold: int) -> Experiment:
    return Experiment.model_validate({
        "id": "x1", "name": "threshold test", "campaign_id": campaign, "metric": "claimed",
        "arms": [{"key": "control"}, {"key": "low", "threshold": threshold}],
        "starts_at": NOW - timedelta(days=1), "ends_at": NOW + timedelta(days=10)})


def offers_of(events) -> list[OfferMade]:
    return [e for e in events if isinstance(e, OfferMade)]


@pytest.mark.parametrize(("text", "claim", "line"), [("有什么优惠", "领取年终好券", "· 可领取「年终好券」"),
                                                     ("what deals do you have", "claim the Year-end coupon",
                                                      "• You can claim “Year-end coupon”")])
async def test_the_bandits_choice_goes_first_is_logged_and_a_claim_credits_it(text: str, claim: str,
                                                                               line: str) -> None:
    bandit = OfferBandit()
    for _ in range(40):  # returning regular customers have claimed the year-end coupon; the sale did nothing
        bandit.observe("returning:regular", "year_coupon", 1.0)
        bandit.observe("returning:regular", "year_end", 0.0)
    chooser = OfferChooser(bandit, seed=1)
    agent, _, log = agent_with(chooser)
    await agent.start("c", channel="web", customer_id="C2", language=None)
    result = await agent.handle("c", text)
    lines = result.reply.text.split("\n")
    assert lines[1].startswith(line), result.reply.text
    made = {e.offer_id: e for e in offers_of(result.events)}
    first = made["year_coupon"].policy
    assert first is not None and first["name"] == "offer_thompson" and first["rank"] == 0
    assert first["segment"] == "returning:regular" and first["propensity"] > 0.5
    assert set(first["arms"]) == {"year_end", "winter", "year_coupon", "last_one"}
    assert sorted(e.policy["rank"] for e in made.values()) == [0, 1, 2, 3]
    chooser.observe(result.events)
    before = bandit.stats[("returning:regular", "year_coupon")].successes
    claimed = await agent.handle("c", claim)
    assert [e.campaign_id for e in claimed.events if isinstance(e, CouponIssued)] == ["year_coupon"]
    chooser.observe(claimed.events, await log.load("c"))
    assert bandit.stats[("returning:regular", "year_coupon")].successes == pytest.approx(before + 0.3)


async def test_without_a_chooser_nothing_is_logged_as_a_decision() -> None:
    agent, _, _ = agent_with()
    await agent.start("c", channel="web", customer_id="C2", language="zh")
    result = await agent.handle("c", "有什么优惠")
    assert all(e.policy is None for e in offers_of(result.events))


async def test_an_experiment_arm_moves_the_threshold_in_the_arithmetic_and_is_recorded_once() -> None:
    experiments = MemoryExperiments([experiment("year_end", 280)], force="low")
    agent, _, _ = agent_with(OfferChooser(seed=2), experiments)
    await agent.start("c", channel="web", customer_id="C2", language="zh")
    await agent.record("c", [ProductInteracted(conversation_id="c", kind="added_to_cart", product_id=p)
                             for p in ("P0002", "P0005")])  # ¥263
    result = await agent.handle("c", "有什么优惠")
    assert "满280减50" in result.reply.text and "再买¥17就能用满280减50" in result.reply.text, result.reply.text
    assigned = [e for e in result.events if isinstance(e, ExperimentAssigned)]
    assert [(e.experiment_id, e.arm, e.customer_id, e.stratum) for e in assigned] == [
        ("x1", "low", "C2", "returning|regular")]
    policy = next(e for e in offers_of(result.events) if e.offer_id == "year_end").policy
    assert policy["experiment"] == {"id": "x1", "arm": "low"} and policy["threshold"] == "280.00"
    again = await agent.handle("c", "还有别的优惠吗")
    assert not [e for e in again.events if isinstance(e, ExperimentAssigned)]
    assert "满280减50" in again.reply.text


async def test_a_coupon_claimed_in_a_threshold_arm_has_the_arms_minimum_spend() -> None:
    experiments = MemoryExperiments([experiment("year_coupon", 249)], force="low")
    agent, store, _ = agent_with(None, experiments)
    await agent.start("c", channel="web", customer_id="C2", language="zh")
    shown = await agent.handle("c", "有什么优惠")
    assert "满249减30" in shown.reply.text, shown.reply.text
    claimed = await agent.handle("c", "领取年终好券")
    issued = [e for e in claimed.events if isinstance(e, CouponIssued)]
    assert [(e.campaign_id, e.min_spend) for e in issued] == [("year_coupon", "249.00")]
    assert store.issued[0][1].min_spend == Decimal("249")


async def test_a_customer_not_in_the_experiment_claims_the_campaign_as_it_is() -> None:
    experiments = MemoryExperiments([experiment("year_coupon", 249)], force="low")
    agent, _, _ = agent_with(None, experiments)
    await agent.start("c", channel="web", customer_id="C2", language="zh")
    claimed = await agent.handle("c", "领取年终好券")  # never shown the offers: never assigned
    assert [e.min_spend for e in claimed.events if isinstance(e, CouponIssued)] == ["299.00"]
