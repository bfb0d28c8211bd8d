"""Browser test of the demo page and the chat widget, in headless Chromium against a live server.

`live_server` (tests/e2e/conftest.py) yields the base URL of a real server whose demo store is built
with seed 7 and as_of 2026-11-20: showcase customers C00001 (zh) and C00002 (en) each have one order
in transit and two delivered ones.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

try:  # tests/e2e may or may not be a package
    from tests.e2e.browser import TIMEOUT_MS, Page
except ImportError:  # pragma: no cover - depends on how pytest imports this file
    from browser import TIMEOUT_MS, Page  # type: ignore[no-redef]

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "var" / "screenshots"

MESSAGES = '[data-testid="kefu-messages"]'
BOT_MSGS = f'{MESSAGES} .kefu-msg[data-role="bot"][data-seq]'
USER_MSGS = f'{MESSAGES} .kefu-msg[data-role="user"]'

IN_TRANSIT = ("shipped", "in_transit", "out_for_delivery")
ZH_STATUS_WORDS = ("运输", "已发货", "发货", "配送", "派送", "在途", "途中", "转运", "运送", "揽收", "揽件")
EN_STATUS_WORDS = ("in transit", "transit", "shipped", "on its way", "on the way", "out for delivery", "dispatched")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")


@pytest.fixture
def demo(shop: Page) -> Page:
    """The shop page of the session's live server (tests/e2e/conftest.py)."""
    return shop


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------


def demo_customers(demo: Page) -> dict[str, dict]:
    res = demo.page.request.get(f"{demo.base_url}/api/demo/customers?limit=12")
    assert res.ok, f"/api/demo/customers -> {res.status} {res.text()}"
    return {c["customer_id"]: c for c in res.json()}


def in_transit_order(customer: dict) -> str:
    orders = customer.get("orders") or []
    for o in orders:
        if o.get("status") in IN_TRANSIT:
            return o["order_id"]
    # tolerate a different status word: the one order that is neither delivered nor cancelled
    others = [o for o in orders if o.get("status") not in ("delivered", "cancelled", "pending_payment")]
    assert others, f"no in-transit order for {customer.get('customer_id')}: {orders}"
    return others[0]["order_id"]


def open_home(demo: Page, ui_lang: str) -> None:
    page = demo.page
    page.goto(f"{demo.base_url}/")
    page.get_by_test_id(f"ui-lang-{ui_lang}").click()
    page.get_by_test_id("customer-picker").locator("[data-customer-id]").first.wait_for()


def pick_customer(demo: Page, customer_id: str, language: str) -> None:
    from playwright.sync_api import expect

    page = demo.page
    card = page.get_by_test_id("customer-picker").locator(f'[data-customer-id="{customer_id}"]')
    card.click()
    expect(card).to_have_attribute("aria-checked", "true")
    # the chat language defaults to the customer's language
    expect(page.get_by_test_id("chat-language")).to_have_value(language)


def start_chat(demo: Page, language: str) -> None:
    from playwright.sync_api import expect

    page = demo.page
    page.get_by_test_id("start-chat").click()
    panel = page.get_by_test_id("kefu-panel")
    expect(panel).to_be_visible()
    expect(page.locator(".kefu-root")).to_have_attribute("lang", "zh-CN" if language == "zh" else "en")
    expect(page.get_by_test_id("kefu-input")).to_be_focused()


def ask(demo: Page, text: str, accept: Callable[[list], bool], what: str):
    """Type `text`, press Enter, and wait until a new bot message satisfies `accept`. Returns it."""
    from playwright.sync_api import expect

    page = demo.page
    before = page.locator(BOT_MSGS).count()
    users_before = page.locator(USER_MSGS).count()
    box = page.get_by_test_id("kefu-input")
    box.fill(text)
    box.press("Enter")
    # optimistic: the customer's message is shown at once, as literal text
    expect(page.locator(USER_MSGS)).to_have_count(users_before + 1)
    expect(page.locator(USER_MSGS).last.locator(".kefu-text")).to_have_text(text)
    expect(box).to_have_value("")

    deadline = time.monotonic() + TIMEOUT_MS / 1000
    seen: list[str] = []
    while time.monotonic() < deadline:
        bots = page.locator(BOT_MSGS)
        new = [bots.nth(i) for i in range(before, bots.count())]
        seen = [m.inner_text() for m in new]
        for m in new:
            if accept(m):
                return m
        page.wait_for_timeout(100)
    pytest.fail(f"no bot reply with {what} to {text!r} within {TIMEOUT_MS} ms; new bot messages: {seen!r}")


def assert_clean(demo: Page) -> None:
    assert demo.errors == [], "browser console errors:\n" + "\n".join(demo.errors)
    assert demo.dialogs == [], f"unexpected dialogs: {demo.dialogs}"


def assert_unique_seqs(demo: Page) -> None:
    seqs = demo.page.eval_on_selector_all(
        f"{MESSAGES} .kefu-msg[data-seq]", "els => els.map(e => e.getAttribute('data-seq'))"
    )
    assert len(seqs) == len(set(seqs)), f"a message was shown twice: seqs {seqs}"


def screenshot(demo: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    demo.page.wait_for_timeout(300)  # let the panel finish scrolling
    demo.page.screenshot(path=str(SCREENSHOTS / name))


# ------------------------------------------------------------------------------------------------
# tests
# ------------------------------------------------------------------------------------------------


def test_demo_page_chat_zh_then_en(demo: Page) -> None:
    from playwright.sync_api import expect

    page = demo.page
    customers = demo_customers(demo)
    assert {"C00001", "C00002"} <= customers.keys(), f"showcase customers missing: {sorted(customers)}"
    zh_order = in_transit_order(customers["C00001"])
    en_order = in_transit_order(customers["C00002"])

    # --- C00001, Chinese -------------------------------------------------------------------------
    open_home(demo, "zh")
    pick_customer(demo, "C00001", "zh")
    expect(page.get_by_test_id("customer-orders").locator(f'[data-order-id="{zh_order}"]')).to_be_visible()
    start_chat(demo, "zh")

    def order_status_zh(m) -> bool:
        text = m.inner_text()
        return zh_order in text and any(w in text for w in ZH_STATUS_WORDS)

    ask(demo, f"我的订单{zh_order}到哪了？", order_status_zh, f"order id {zh_order} and a status word")

    def has_citation(m) -> bool:
        return m.locator(".kefu-citation").count() > 0

    reply = ask(demo, "7天无理由退货是怎么规定的？", has_citation, "a citation")
    citation = reply.locator(".kefu-citation").first
    expect(citation).to_be_visible()
    expect(citation).to_contain_text("来源")

    def has_products(m) -> bool:
        return m.locator('.kefu-card[data-card-type="product"]').count() > 0

    reply = ask(demo, "我想买手机壳", has_products, "product cards")
    cards = reply.locator('.kefu-card[data-card-type="product"]')
    expect(cards.first).to_be_visible()
    for i in range(cards.count()):
        assert cards.nth(i).get_attribute("data-id"), "product card without data-id"
        assert cards.nth(i).locator(".kefu-card-title").inner_text().strip(), "product card without a title"

    assert_unique_seqs(demo)
    screenshot(demo, "demo-zh.png")

    # --- C00002, English: picking another customer starts a new conversation ---------------------
    zh_conversation = page.evaluate("window.Kefu.info().conversationId")
    assert zh_conversation
    page.get_by_test_id("ui-lang-en").click()
    pick_customer(demo, "C00002", "en")
    start_chat(demo, "en")
    # nothing of the zh conversation is left (a server greeting may already be there)
    expect(page.locator(USER_MSGS)).to_have_count(0)
    expect(page.locator(MESSAGES)).not_to_contain_text(zh_order)
    page.wait_for_function(
        "old => { const i = window.Kefu.info(); return i && i.conversationId && i.conversationId !== old; }",
        arg=zh_conversation,
    )
    expect(page.get_by_test_id("customer-orders").locator(f'[data-order-id="{en_order}"]')).to_be_visible()

    def order_status_en(m) -> bool:
        text = m.inner_text()
        return en_order in text and any(w in text.lower() for w in EN_STATUS_WORDS)

    reply = ask(demo, f"Where is my order {en_order}?", order_status_en, f"order id {en_order} and a status word")
    # English template text; a proper noun in Chinese (e.g. a carrier's brand) may still appear
    bot_text = reply.locator(".kefu-text").first.inner_text()
    cjk, latin = len(CJK.findall(bot_text)), len(LATIN.findall(bot_text))
    assert cjk <= 0.1 * latin, f"English customer got a (partly) Chinese reply: {bot_text!r}"

    assert_unique_seqs(demo)
    screenshot(demo, "demo-en.png")
    assert_clean(demo)


def test_customer_message_is_literal_text(demo: Page) -> None:
    from playwright.sync_api import expect

    page = demo.page
    payload = "<img src=x onerror=alert(1)>"
    open_home(demo, "zh")
    pick_customer(demo, "C00001", "zh")
    start_chat(demo, "zh")

    ask(demo, payload, lambda m: True, "any reply")
    mine = page.locator(USER_MSGS)
    expect(mine).to_have_count(1)  # the server's echo is reconciled, not shown again
    expect(mine.first.locator(".kefu-text")).to_have_text(payload)
    expect(mine.first).to_have_attribute("data-seq", re.compile(r"^\d+$"))
    assert page.locator(f"{MESSAGES} img").count() == 0, "message text was parsed as HTML"
    page.wait_for_timeout(500)  # an injected onerror handler would have fired by now
    assert_clean(demo)


def test_composer_keys_and_length_limit(demo: Page) -> None:
    from playwright.sync_api import expect

    page = demo.page
    open_home(demo, "en")
    pick_customer(demo, "C00002", "en")
    start_chat(demo, "en")
    box = page.get_by_test_id("kefu-input")
    expect(page.locator('label[for="kefu-input"]')).to_have_count(1)
    expect(page.get_by_test_id("kefu-messages")).to_have_attribute("aria-live", "polite")
    # Shift+Enter is a newline, not a send
    box.fill("line one")
    box.press("Shift+Enter")
    expect(box).to_have_value("line one\n")
    expect(page.locator(USER_MSGS)).to_have_count(0)
    box.fill("a" * 2001)
    expect(page.get_by_test_id("kefu-hint")).to_be_visible()
    expect(page.get_by_test_id("kefu-hint")).to_contain_text("2001/2000")
    expect(page.get_by_test_id("kefu-send")).to_be_disabled()
    box.press("Enter")
    expect(page.locator(USER_MSGS)).to_have_count(0)
    box.fill("a" * 2000)
    expect(page.get_by_test_id("kefu-send")).to_be_enabled()
    assert_clean(demo)
