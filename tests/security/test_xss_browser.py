"""Markup where people write text — a customer's name and address (customer rows), the customer's messages,
an operator's display name and private notes — rendered in Chromium in the widget, the demo page and the
operator console: no script runs (each payload would set `window.__pwned`), no element is injected, and
the text shows as the characters written."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.browser import chromium
from tests.server.console_support import PASSWORD, register_accounts

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 15_000
NAME = '<img src=x onerror="window.__pwned=1">张<b>三</b>'
ADDRESS = "北京市<script>window.__pwned=2</script>朝阳区 1号"
MESSAGES = ['<svg onload="window.__pwned=3">', "<iframe src=\"javascript:window.parent.__pwned=4\"></iframe>",
            "</div><script>window.__pwned=5</script>", "javascript:window.__pwned=6",
            "{{constructor.constructor('window.__pwned=7')()}}"]
NOTE = '<a href="javascript:window.__pwned=8" id="evil">note</a><img src=x onerror=window.__pwned=9>'
OPERATOR = '<img src=x onerror="window.__pwned=10">客服'


@pytest.fixture(scope="module")
def poisoned_server(tmp_path_factory: pytest.TempPathFactory, knowledge_index) -> Iterator[tuple[str, str]]:
    """A live server whose customer C00001 and one operator carry markup in their names."""
    from server.demo.build import build_demo_store
    from tests.e2e.conftest import start_server, stop_server, wait_ready
    from tests.services import TEST_IDENTITY_SECRET

    base = tmp_path_factory.mktemp("xss")
    url = f"sqlite:///{base / 'kefu.db'}"
    build_demo_store(url, seed=7, as_of=datetime.now(UTC).date(), customers=20, orders=80)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE customers SET name = :n, address = :a WHERE id = 'C00001'"),
                     {"n": NAME, "a": ADDRESS})
    engine.dispose()
    username = register_accounts(url, {"operator": OPERATOR})["operator"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env.update({"KEFU_DATABASE_URL": url, "KEFU_INDEX_DIR": str(knowledge_index[0]), "KEFU_LOG_LEVEL": "WARNING",
                "KEFU_IDENTITY_SECRET": TEST_IDENTITY_SECRET, "KEFU_RATE_LIMITS": "off",
                "KEFU_DEMO": "1"})  # the demo page shows the customers' names
    log = Path(base / "server.log")
    proc, address = start_server(env, log)
    try:
        wait_ready(proc, address, log)
        yield address, username
    finally:
        stop_server(proc)


def pwned(page) -> object:
    return page.evaluate("() => window.__pwned === undefined ? null : window.__pwned")


def test_markup_in_names_messages_and_notes_stays_text(poisoned_server) -> None:
    from playwright.sync_api import expect

    base, username = poisoned_server
    with chromium() as browser:
        customer = browser.new_context(locale="zh-CN").new_page()
        console = browser.new_context(locale="zh-CN").new_page()
        dialogs: list[str] = []
        for page in (customer, console):
            page.set_default_timeout(TIMEOUT_MS)
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

        customer.goto(f"{base}/")
        picked = customer.get_by_test_id("customer-picker").locator('[data-customer-id="C00001"]')
        expect(picked).to_contain_text(NAME)  # the name as written, in the demo page's picker
        picked.click()
        customer.get_by_test_id("start-chat").click()
        box = customer.get_by_test_id("kefu-input")
        for said in ["你好，我要转人工", *MESSAGES]:
            box.fill(said)
            box.press("Enter")
        said_list = customer.locator('.kefu-msg[data-role="user"][data-seq] .kefu-text')
        expect(said_list).to_have_count(len(MESSAGES) + 1)
        for i, payload in enumerate(MESSAGES, start=1):
            expect(said_list.nth(i)).to_have_text(payload)
        cid = customer.evaluate("() => window.Kefu.info().conversationId")

        console.goto(f"{base}/console")
        console.get_by_test_id("login-username").fill(username)
        console.get_by_test_id("login-password").fill(PASSWORD)
        console.get_by_test_id("login-submit").click()
        expect(console.get_by_test_id("operator-name")).to_have_text(OPERATOR)
        row = console.locator(f'[data-testid="queue-row"][data-conversation-id="{cid}"]')
        expect(row).to_contain_text(NAME)
        row.click()
        expect(console.get_by_test_id("profile").locator('[data-field="address"]')).to_have_text(ADDRESS)
        timeline = console.get_by_test_id("timeline").locator(
            '[data-type="user_uttered"] [data-testid="timeline-text"]')
        expect(timeline).to_have_count(len(MESSAGES) + 1)
        for i, payload in enumerate(MESSAGES, start=1):
            expect(timeline.nth(i)).to_have_text(payload)
        console.get_by_test_id("note-input").fill(NOTE)
        console.get_by_test_id("add-note").click()
        expect(console.get_by_test_id("notes-list").get_by_test_id("note").locator(".note-text")).to_have_text(NOTE)
        console.get_by_test_id("takeover").click()
        expect(customer.get_by_test_id("kefu-handoff")).to_contain_text(OPERATOR)  # the operator's name, as text
        console.reload()  # and drawn again from the server's data
        expect(console.get_by_test_id("operator-name")).to_have_text(OPERATOR)

        for page in (customer, console):
            assert pwned(page) is None
            assert page.locator("img[src='x'], svg[onload], iframe, #evil, b:has-text('三')").count() == 0
        assert dialogs == []
