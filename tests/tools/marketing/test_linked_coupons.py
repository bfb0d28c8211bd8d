"""One new-customer coupon per linked group, in a chat and at the tool: a new account that shares a device with
an account that already got the welcome coupon is refused, in its language, without a word about the other
account; an unlinked new customer still gets it; other coupons are not affected; and the atomic claim refuses
too, so a linked account racing past the checks gets nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from agent.events import CouponIssued
from agent.protocols import ToolContext, ToolError
from tests.fakes import MemoryEventStore, MemoryOrders, ask, commerce_tools, make_agent
from tests.fakes.commerce import NOW
from tests.fakes.offers import MemoryCampaigns
from tools.marketing.campaigns import ClaimRequest, CustomerProfile
from tools.marketing.claim_tool import ClaimCouponTool
from tools.marketing.insight.identity_graph import IdentifierRow, IdentityGraph, build_graph
from tools.marketing.offers_tool import OffersTool

pytestmark = pytest.mark.unit

FARM_PHONE = "7c1e2f90-5b3a-4d8e-9f60-1a2b3c4d5e6f"


class GraphLinks:
    """`LinkedAccounts` over a graph built from rows (the SQL store walks the same graph from the database)."""

    def __init__(self, graph: IdentityGraph) -> None:
        self.graph = graph

    def linked_to(self, customer_id: str) -> tuple[str, ...]:
        return self.graph.linked_to(customer_id)


def setup() -> tuple[object, MemoryCampaigns, ClaimCouponTool]:
    store = MemoryCampaigns()
    for cid in ("C7", "C8", "C6"):  # more new customers, no order yet
        store.profiles[cid] = CustomerProfile(cid, "regular", 0)
    graph = build_graph([IdentifierRow("C9", "device", FARM_PHONE), IdentifierRow("C8", "device", FARM_PHONE.upper()),
                         IdentifierRow("C8", "payment", "tok_aa11bb22cc33dd44"),
                         IdentifierRow("C6", "payment", "tok_aa11bb22cc33dd44"),
                         IdentifierRow("C7", "device", "00000000-0000-0000-0000-000000000000"),
                         IdentifierRow("C9", "device", "00000000-0000-0000-0000-000000000000")])
    events = MemoryEventStore()
    claim = ClaimCouponTool(store, events, linked=GraphLinks(graph))
    offers = OffersTool(store, events, linked=GraphLinks(graph))
    agent = make_agent(store=events, tools=[*commerce_tools(MemoryOrders()), claim, offers])
    return agent, store, claim


@pytest.mark.parametrize(("text", "refused"), [
    ("领取新人券", "「新人专享券」每位新客户只能领取一次。您的账户与一个已经领过新人券的账户相关联"),
    ("Claim the welcome coupon", "“New customer coupon” is one per new customer, and this account is linked to an "
                                 "account that already received a new-customer coupon"),
])
async def test_a_second_welcome_coupon_in_a_linked_group_is_refused_in_chat(text: str, refused: str) -> None:
    agent, store, _ = setup()
    first, bot = await ask(agent, text, conversation_id="a", customer_id="C9")
    assert [e.campaign_id for e in first.events if isinstance(e, CouponIssued)] == ["welcome"], bot.text
    # C8 signs in on C9's phone; C6 pays with C8's card: both in C9's group, both refused
    for n, who in enumerate(("C8", "C6")):
        result, bot = await ask(agent, text, conversation_id=f"b{n}", customer_id=who)
        assert bot.text.startswith(refused), bot.text
        assert "C9" not in bot.text and "C8" not in bot.text and "tok_" not in bot.text
        assert not [e for e in result.events if isinstance(e, CouponIssued)] and not result.reply.cards
    assert [who for who, _ in store.issued] == ["C9"] and store.rows["welcome"]["spent"] == Decimal("20")
    # C7 shares only a placeholder device id with C9: not linked, gets its welcome coupon
    result, _ = await ask(agent, text, conversation_id="c", customer_id="C7")
    assert [e.customer_id for e in result.events if isinstance(e, CouponIssued)] == ["C7"]


async def test_a_linked_account_still_gets_coupons_for_everyone() -> None:
    agent, _, _ = setup()
    await ask(agent, "领取新人券", conversation_id="a", customer_id="C9")
    result, bot = await ask(agent, "领取年终好券", conversation_id="b", customer_id="C8")
    assert bot.text.startswith("已为您领取「年终好券」"), bot.text
    # "give me a coupon": the coupons C6 may claim are offered, not the welcome coupon its group already had
    result, bot = await ask(agent, "给我一张券", conversation_id="c", customer_id="C6")
    assert bot.text == "您现在可以领取这些券：年终好券、限量券。要领哪一张？"
    assert [c["campaign_id"] for c in result.reply.cards] == ["year_coupon", "last_one"]


async def test_the_tool_refuses_a_named_welcome_coupon_before_running() -> None:
    _, store, claim = setup()
    store.claim(ClaimRequest(campaign_id="welcome", customer_id="C9", claim_key="x:welcome", discount=Decimal(20),
                             min_spend=Decimal(199), expires_at=NOW + timedelta(days=30), limit=1, now=NOW))
    with pytest.raises(ToolError) as refused:
        await claim.authorize(claim.Args(campaign_id="welcome"),
                              ToolContext(conversation_id="b", customer_id="C8", language="en", now=NOW))
    assert refused.value.code == "coupon_linked_account"
    await claim.authorize(claim.Args(campaign_id="welcome"),  # unlinked: allowed
                          ToolContext(conversation_id="c", customer_id="C7", language="en", now=NOW))


def test_the_atomic_claim_refuses_a_linked_account_that_raced_past_the_checks() -> None:
    store = MemoryCampaigns()
    request = ClaimRequest(campaign_id="welcome", customer_id="C9", claim_key="a:welcome", discount=Decimal(20),
                           min_spend=Decimal(199), expires_at=NOW + timedelta(days=30), limit=1, now=NOW)
    assert store.claim(request).kind == "issued"
    second = replace(request, customer_id="C8", claim_key="b:welcome", linked=("C9",))
    assert store.claim(second).kind == "linked"


async def test_deals_do_not_offer_a_linked_account_the_welcome_coupon_its_group_had() -> None:
    agent, _, _ = setup()
    result, bot = await ask(agent, "有什么优惠", conversation_id="a", customer_id="C8")
    assert "可领取「新人专享券」" in bot.text, bot.text  # nobody in the group has it yet
    await ask(agent, "领取新人券", conversation_id="b", customer_id="C9")
    result, bot = await ask(agent, "有什么优惠", conversation_id="c", customer_id="C8")
    assert "新人专享券" not in bot.text and "可领取「年终好券」" in bot.text, bot.text
    assert "welcome" not in [c.get("campaign_id") for c in result.reply.cards]
    _, bot = await ask(agent, "新人券还有吗", conversation_id="d", customer_id="C8", language="zh")
    assert "已领过新人券的账户相关联" in bot.text, bot.text
