"""Campaign copy through the LLM interface (scripted OpenAI-compatible server): zh and en copy kept only when
its discounts and dates match the campaign's record; the template copy otherwise, per language."""

from __future__ import annotations

import pytest

from agent.tasks.campaign_copy import CampaignFacts, draft_campaign_copy, template_copy
from tests.fakes import DOUBLE11, WINTER
from tests.fakes.openai_server import Reply, ScriptedOpenAIServer

pytestmark = [pytest.mark.unit, pytest.mark.allow_loopback]

ZH = "双十一狂欢节来啦！11月1日至11月11日，满300元减30元，满1000元减120元，快来抢购吧！"
EN = "Singles' Day Sale is here! From Nov 1 to Nov 11, save ¥30 when you spend ¥300, or ¥120 on ¥1000. Shop now!"


async def test_grounded_copy_in_both_languages_comes_from_the_llm() -> None:
    with ScriptedOpenAIServer() as server:
        server.push(Reply(text=ZH), Reply(text=EN))
        copy = await draft_campaign_copy(server.llm(), DOUBLE11)
        zh_prompt, en_prompt = (r["messages"][-1]["content"] for r in server.requests)
    assert (copy["zh"].text, copy["zh"].source, copy["en"].text, copy["en"].source) == (ZH, "llm", EN, "llm")
    assert "满300元减30元，满1000元减120元（礼品卡除外）" in zh_prompt and "2026年11月11日" in zh_prompt
    assert "save ¥30 when you spend ¥300" in en_prompt and "Nov 11, 2026" in en_prompt


@pytest.mark.parametrize(
    ("campaign", "zh", "en"),
    [
        (DOUBLE11, ZH.replace("减30元", "减50元"), EN.replace("Nov 11", "Nov 15")),  # a bigger discount, a later end
        (WINTER, "冬季焕新季，咖啡豆全场8折！", "Winter refresh: 20% off coffee beans until Dec 11!"),  # 8折 is 20% off
    ],
)
async def test_copy_that_misstates_the_record_is_replaced_by_the_template(
    campaign: CampaignFacts, zh: str, en: str
) -> None:
    with ScriptedOpenAIServer() as server:
        server.push(Reply(text=zh), Reply(text=en))
        copy = await draft_campaign_copy(server.llm(), campaign)
    for lang in ("zh", "en"):
        assert copy[lang].source == "template" and copy[lang].fallback == "guard"
        assert copy[lang].text == template_copy(campaign, lang)
    assert (
        ("50" not in copy["zh"].text and "Nov 15" not in copy["en"].text)
        if campaign is DOUBLE11
        else ("享9折" in copy["zh"].text and "10% off" in copy["en"].text)
    )


async def test_each_language_records_its_own_path() -> None:
    with ScriptedOpenAIServer() as server:
        server.push(Reply(text=ZH), Reply(status=500))
        copy = await draft_campaign_copy(server.llm(), DOUBLE11)
    assert (copy["zh"].source, copy["en"].source, copy["en"].fallback) == ("llm", "template", "llm_error")
    assert copy["en"].text.startswith("Singles' Day Sale: save ¥30 when you spend ¥300")


async def test_wrong_language_and_no_llm_give_the_template() -> None:
    with ScriptedOpenAIServer() as server:
        server.push(Reply(text=EN), Reply(text=ZH))  # languages swapped
        copy = await draft_campaign_copy(server.llm(), WINTER)
    assert [(c.source, c.fallback) for c in copy.values()] == [("template", "language")] * 2
    copy = await draft_campaign_copy(None, WINTER)
    assert [(c.source, c.fallback) for c in copy.values()] == [("template", "disabled")] * 2
    assert copy["zh"].text.startswith("【冬季焕新季】2026年11月13日至2026年12月11日，享9折，适用于咖啡豆。")
