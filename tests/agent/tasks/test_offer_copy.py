"""Offer lines through the LLM interface (scripted OpenAI-compatible server): a grounded line from the angle asked
is kept; a line that misstates a figure or the end date, claims a coupon was issued, or is in the wrong language
gives the template; and the server's writer answers None then, so the variant stays its template."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.tasks.campaign_copy import CampaignFacts
from agent.tasks.offer_copy import draft_offer_line
from server.offer_copy import LLMCopyWriter
from tests.fakes.openai_server import Reply, ScriptedOpenAIServer
from tools.marketing.campaigns.rules import Campaign
from tools.marketing.campaigns.variants import CopyRequest

pytestmark = [pytest.mark.unit, pytest.mark.allow_loopback]

TRADE_IN = CampaignFacts(
    id="trade_in", name_zh="以旧换新补贴", name_en="Trade-in bonus", starts_at=datetime(2026, 11, 10, tzinfo=UTC),
    ends_at=datetime(2026, 12, 30, 15, tzinfo=UTC),
    rules={"type": "coupon", "discount": 100, "min_spend": 1000, "valid_days": 30, "categories": ["phone"]},
    categories={"phone": ("手机", "Phones")}, segments=["returning"])
TEMPLATE = {"zh": "「以旧换新补贴」限时进行中，2026年12月30日截止：满1000减100（限手机），领取后30天内有效",
            "en": "“Trade-in bonus” is on for a limited time, until Dec 30, 2026: ¥100 off orders of ¥1000+"}
GOOD = {"zh": "以旧换新补贴12月30日就截止啦，换新手机满1000元立减100元，领券后30天内都能用，抓紧时间！",
        "en": "Hurry: until Dec 30, 2026, the Trade-in bonus takes ¥100 off a new phone of ¥1000 or more."}


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_a_grounded_line_from_the_angle_asked_is_kept(language: str) -> None:
    with ScriptedOpenAIServer() as server:
        server.push(Reply(text=GOOD[language]))
        draft = await draft_offer_line(server.llm(), TRADE_IN, angle="limited_time", segment="price_sensitive",
                                       language=language, template=TEMPLATE[language])
        [request] = server.requests
    assert (draft.text, draft.source) == (GOOD[language], "llm")
    system, user = request["messages"][0]["content"], request["messages"][-1]["content"]
    assert ("限时" in system and "在意价格" in system) if language == "zh" else ("limited time" in system
                                                                             and "watches prices" in system)
    assert TEMPLATE[language] in user and ("领取后30天内有效" in user if language == "zh" else "30 days" in user)


@pytest.mark.parametrize(("language", "text", "reason"), [
    ("zh", GOOD["zh"].replace("立减100元", "立减200元"), "guard"),  # a bigger discount
    ("en", GOOD["en"].replace("Dec 30", "Jan 15"), "guard"),  # a later end
    ("zh", "以旧换新补贴券已经发到您的账户了，满1000元减100元！", "guard"),  # a coupon nobody issued
    ("zh", GOOD["en"], "language"),
])
async def test_a_line_that_misstates_the_campaign_gives_the_template(language: str, text: str, reason: str) -> None:
    with ScriptedOpenAIServer() as server:
        server.push(Reply(text=text))
        draft = await draft_offer_line(server.llm(), TRADE_IN, angle="plain", segment="default", language=language,
                                       template=TEMPLATE[language])
    assert (draft.text, draft.source, draft.fallback) == (TEMPLATE[language], "template", reason)


async def test_the_writer_gives_the_llm_line_or_none() -> None:
    campaign = Campaign.model_validate({**{k: getattr(TRADE_IN, k) for k in ("id", "name_zh", "name_en",
                                                                           "starts_at", "ends_at", "rules")},
                                        "kind": "trade_in", "segments": ["returning"]})
    request = CopyRequest(campaign, "price_sensitive", "limited_time", "zh", TEMPLATE["zh"],
                          {"phone": ("手机", "Phones")})
    with ScriptedOpenAIServer() as server:
        server.push(Reply(text=GOOD["zh"]), Reply(text=GOOD["zh"].replace("100元", "150元")))
        writer = LLMCopyWriter(server.llm())
        assert await writer.write(request) == GOOD["zh"]
        assert await writer.write(request) is None
