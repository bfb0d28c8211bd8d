"""Product card actions in headless Chromium against a live server (demo mode): a customer asks for a
recommendation, clicks "add to cart" on a card, sees it confirmed on the card and the one product that goes with
it offered (a cross-sell card marked as such), and the next list moves on."""

from __future__ import annotations

import pytest

try:  # tests/e2e may or may not be a package
    from tests.e2e.test_browser_demo import (
        BOT_MSGS,
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
        Page,
        ask,
        assert_clean,
        open_home,
        pick_customer,
        screenshot,
        start_chat,
    )

pytestmark = pytest.mark.e2e


def card_ids(message) -> list[str]:
    return message.locator('.kefu-card[data-card-type="product"]').evaluate_all(
        "els => els.map(e => e.getAttribute('data-id'))"
    )


@pytest.mark.parametrize(("customer", "language", "text", "add", "added", "goes_with"), [
    ("C00001", "zh", "推荐一款手机壳", "加入购物车", "已加入购物车 ✓", "搭配推荐"),
    ("C00002", "en", "recommend a phone case", "Add to cart", "Added to cart ✓", "Goes with it"),
])
def test_add_to_cart_on_a_card_is_confirmed_and_changes_the_next_list(
    shop: Page, customer: str, language: str, text: str, add: str, added: str, goes_with: str
) -> None:
    from playwright.sync_api import expect

    has_cards = lambda m: m.locator('.kefu-card[data-card-type="product"]').count() > 0  # noqa: E731
    open_home(shop, language)
    pick_customer(shop, customer, language)
    start_chat(shop, language)
    first = ask(shop, text, has_cards, "product cards")
    ids = card_ids(first)
    card = first.locator(f'.kefu-card[data-id="{ids[0]}"]')
    card.get_by_role("button", name=add).click()
    expect(card.locator(".kefu-card-note")).to_have_text(added)
    offer = shop.page.locator(BOT_MSGS).last  # the cross-sell that follows a product chosen: its own message
    expect(offer.locator(".kefu-pill-offer")).to_have_text(goes_with)
    offered = card_ids(offer)
    assert len(offered) == 1 and offered[0] not in ids[:1]
    screenshot(shop, f"recommend-add-to-cart-{language}.png")

    second = ask(shop, text, has_cards, "product cards")
    again = card_ids(second)
    assert again and ids[0] not in again, (ids, again)
    assert shop.page.locator(BOT_MSGS).count() >= 2
    assert_clean(shop)
