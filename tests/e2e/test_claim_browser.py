"""The coupon card's claim action in headless Chromium against a live server (demo mode): a returning customer asks
about returns, gets the answer with the trade-in offer — a coupon card with a "领取 / Claim" button — clicks it,
and sees the claim said for them as their own message, the coupon issued, and the card they clicked now showing the
coupon as claimed, with its code."""

from __future__ import annotations

import re

import pytest

try:  # tests/e2e may or may not be a package
    from tests.e2e.test_browser_demo import (
        BOT_MSGS,
        USER_MSGS,
        Page,
        ask,
        assert_clean,
        open_home,
        pick_customer,
        screenshot,
        start_chat,
    )
except ImportError:  # pragma: no cover - depends on how pytest imports this file
    from test_browser_demo import (  # type: ignore[no-redef]
        BOT_MSGS,
        USER_MSGS,
        Page,
        ask,
        assert_clean,
        open_home,
        pick_customer,
        screenshot,
        start_chat,
    )

pytestmark = pytest.mark.e2e

CLAIMABLE = '.kefu-card[data-card-type="coupon"][data-status="claimable"][data-campaign-id="trade_in"]'


# (customers other tests leave alone: a coupon claimed here is theirs for the rest of the session)
@pytest.mark.parametrize(("customer", "language", "question", "claim", "said", "claimed", "done"), [
    ("C00005", "zh", "7天无理由退货从哪天开始算？", "领取", "领取以旧换新补贴", "已领取 ✓",
     "已为您领取「以旧换新补贴」"),
    ("C00006", "en", "How many days do I have to return an item?", "Claim", "Claim Trade-in bonus", "Claimed ✓",
     "Done: “Trade-in bonus” is yours"),
])
def test_the_claim_button_on_a_trade_in_offer_claims_it_and_the_card_shows_the_coupon(
    shop: Page, customer: str, language: str, question: str, claim: str, said: str, claimed: str, done: str
) -> None:
    from playwright.sync_api import expect

    page = shop.page
    open_home(shop, language)
    pick_customer(shop, customer, language)
    start_chat(shop, language)
    offer = ask(shop, question, lambda m: m.locator(CLAIMABLE).count() > 0, "the trade-in coupon card")
    assert offer.locator(".kefu-citation").count() > 0  # the question was answered first
    card = offer.locator(CLAIMABLE)
    bots_before = page.locator(BOT_MSGS).count()

    card.get_by_role("button", name=claim).click()
    expect(page.locator(USER_MSGS).last.locator(".kefu-text")).to_have_text(said)  # said for the customer
    expect(page.locator(BOT_MSGS)).to_have_count(bots_before + 1, timeout=30_000)
    reply = page.locator(BOT_MSGS).last
    expect(reply).to_contain_text(done)
    code = reply.locator('.kefu-card[data-card-type="coupon"]').first.get_attribute("data-id") or ""
    assert re.fullmatch(r"CP[A-Z2-9]{8}", code), code

    clicked = offer.locator('.kefu-card[data-card-type="coupon"][data-campaign-id="trade_in"]')
    expect(clicked).to_have_attribute("data-status", "claimed")
    expect(clicked).to_have_attribute("data-code", code)
    expect(clicked.locator(".kefu-claimed")).to_contain_text(claimed)
    expect(clicked.locator(".kefu-claimed")).to_contain_text(code)
    expect(clicked.get_by_role("button", name=claim)).to_have_count(0)
    screenshot(shop, f"claim-trade-in-{language}.png")
    assert_clean(shop)
