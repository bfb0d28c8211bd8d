"""Reading a marketer's chat request: the act and the campaign by rules in zh and en (festival aliases, names,
keywords, ids; the best match wins, ties are left to the marketer), and the LLM only for what the rules miss,
its reading checked against the known acts and campaigns."""

from __future__ import annotations

import pytest

from agent.tasks.marketer_requests import CampaignName, parse_request, read_with_llm
from tests.fakes.llm import ScriptedLLM

pytestmark = pytest.mark.unit

CAMPAIGNS = [
    CampaignName("double11", "双十一狂欢节", "Singles' Day Sale", "festival", (), "ended"),
    CampaignName("mid618", "618年中大促", "618 Mid-year Sale", "festival", (), "ended"),
    CampaignName("new_customer", "新人专享券", "New customer coupon", "new_customer", ("新人券", "welcome")),
    CampaignName("member_day", "会员日", "Member day", "member_day"),
    CampaignName("winter_refresh", "冬季焕新季", "Winter refresh", "seasonal"),
    CampaignName("year_end", "年终满减季", "Year-end savings", "seasonal", ("年终满减",)),
    CampaignName("year_end_coupon", "年终好券", "Year-end coupon", "seasonal", ("年终券",)),
    CampaignName("c1a2b3c4", "周末闪购", "Weekend flash sale", "promotion"),
    CampaignName("trade_in", "以旧换新补贴", "Trade-in bonus", "trade_in", ("以旧换新", "trade-in")),
]


@pytest.mark.parametrize(("text", "act", "ids", "language"), [
    ("给618写个活动文案", "copy", ("mid618",), "zh"),
    ("618活动效果怎么样", "readout", ("mid618",), "zh"),
    ("A/B 测试结果", "experiments", (), "zh"),
    ("Pause the new-customer campaign", "pause", ("new_customer",), "en"),
    ("pause the New Customer coupon", "pause", ("new_customer",), "en"),
    ("Unpause the welcome coupon", "resume", ("new_customer",), "en"),
    ("双11的数据怎么样", "readout", ("double11",), "zh"),
    ("How did the Singles' Day sale perform?", "readout", ("double11",), "en"),
    ("结束年终券", "end", ("year_end_coupon",), "zh"),
    ("停止年终满减", "end", ("year_end",), "zh"),
    ("How are the year-end campaigns doing?", "readout", ("year_end", "year_end_coupon"), "en"),
    ("Write a slogan for c1a2b3c4", "copy", ("c1a2b3c4",), "en"),
    ("周末闪购领了多少张", "readout", ("c1a2b3c4",), "zh"),
    ("有哪些活动", "list", (), "zh"),
    ("How is the trade-in bonus doing?", "readout", ("trade_in",), "en"),
    ("how is it doing?", "readout", (), "en"),  # no campaign named: "in" of trade_in is no name
    ("新建一个活动", "create", (), "zh"),
    ("今天天气不错", None, (), "zh"),
])
def test_rules_read_the_act_and_the_campaign(text, act, ids, language) -> None:
    request = parse_request(text, CAMPAIGNS)
    assert (request.act, request.campaign_ids, request.language, request.parsed_by) == (act, ids, language, "rules")
    assert request.changes_campaign == (act in ("pause", "resume", "end"))


def test_the_campaign_open_in_the_console_is_used_when_none_is_named() -> None:
    assert parse_request("这个活动效果怎么样", CAMPAIGNS, context="winter_refresh").campaign_ids == ("winter_refresh",)
    assert parse_request("618效果", CAMPAIGNS, context="winter_refresh").campaign_ids == ("mid618",)
    assert parse_request("效果怎么样", CAMPAIGNS, context="no_such").campaign_ids == ()


def test_a_running_campaign_beats_ended_ones_named_alike() -> None:
    campaigns = [CampaignName("d11_2025", "双十一 2025", "Singles' Day 2025", "festival", (), "ended"),
                 CampaignName("d11_2026", "双十一 2026", "Singles' Day 2026", "festival", (), "active")]
    assert parse_request("双十一效果怎么样", campaigns).campaign_ids == ("d11_2026",)


async def test_the_llm_reads_what_the_rules_miss_and_only_known_acts_and_campaigns() -> None:
    unclear = parse_request("能不能让冬天那个先歇一歇", CAMPAIGNS)
    assert unclear.act is None
    llm = ScriptedLLM('{"act": "pause", "campaign": "winter_refresh"}')
    read = await read_with_llm(llm, unclear, CAMPAIGNS)
    assert (read.act, read.campaign_ids, read.parsed_by) == ("pause", ("winter_refresh",), "llm")
    assert "winter_refresh: 冬季焕新季 / Winter refresh" in llm.requests[0][0][0].content
    for reply in ('{"act": "delete_everything", "campaign": "winter_refresh"}', "no idea", '["pause"]'):
        assert (await read_with_llm(ScriptedLLM(reply), unclear, CAMPAIGNS)).act is None
    invented = await read_with_llm(ScriptedLLM('{"act": "end", "campaign": "free_money"}'), unclear, CAMPAIGNS)
    assert (invented.act, invented.campaign_ids) == ("end", ())  # an act, but no campaign: the marketer is asked
    failed = await read_with_llm(ScriptedLLM(fail="timeout"), unclear, CAMPAIGNS)
    assert failed == unclear
