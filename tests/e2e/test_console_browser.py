"""The operator console in headless Chromium against a live server, next to a customer on the widget:
sign in, pick the waiting conversation from the queue, take over, reply from a suggestion, see typing
both ways, keep a private note. A script-like message from the customer must show as plain text.

Screenshots of both sides go to var/screenshots/ (console-single-worker.png, widget-single-worker.png;
the takeover screenshots linked from the README come from tests/e2e/test_multiworker.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

try:  # tests/e2e may or may not be a package
    from tests.e2e.test_console import PASSWORD, ensure_operator
except ImportError:  # pragma: no cover - depends on how pytest imports this file
    from test_console import PASSWORD, ensure_operator  # type: ignore[no-redef]

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
TIMEOUT_MS = 15_000
XSS = ['<img src=x onerror="window.__xss=1">', "<script>window.__xss=2</script>"]


class Tab:
    """One browser context + page that records page errors, console errors, dialogs and failed requests
    (the browser also logs a failed request as a console error; those are checked by URL instead)."""

    def __init__(self, browser, width: int, height: int) -> None:
        self.context = browser.new_context(
            viewport={"width": width, "height": height}, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.failed: list[tuple[int, str]] = []
        self.page.on("pageerror", lambda exc: self.problems.append(f"pageerror: {exc}"))
        self.page.on("console", self._console)
        self.page.on("response", lambda r: r.status >= 400 and self.failed.append((r.status, r.url.split("/", 3)[3])))
        self.page.on("dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss()))

    def _console(self, message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console: {message.text}")


@pytest.fixture
def tabs(browser, request: pytest.FixtureRequest) -> Iterator[tuple[str, str, Tab, Tab]]:
    # the browser first: without Chromium the test skips before the server is started
    base: str = request.getfixturevalue("live_server")
    env: dict[str, str] = request.getfixturevalue("e2e_env")
    username = ensure_operator(env["KEFU_DATABASE_URL"], "e2e-browser", name="王芳")
    customer, console = Tab(browser, 1280, 860), Tab(browser, 1440, 900)
    try:
        yield base, username, customer, console
    finally:
        customer.context.close()
        console.context.close()


def widget_say(page, text: str) -> None:
    box = page.get_by_test_id("kefu-input")
    box.fill(text)
    box.press("Enter")


def test_console_takeover_with_inert_customer_markup(tabs) -> None:
    from playwright.sync_api import expect

    base, username, customer, console = tabs
    c, o = customer.page, console.page

    # --- the customer asks for a person, then sends markup ----------------------------------------
    c.goto(f"{base}/")
    c.get_by_test_id("customer-picker").locator('[data-customer-id="C00011"]').click()
    c.get_by_test_id("start-chat").click()
    expect(c.get_by_test_id("kefu-input")).to_be_focused()
    widget_say(c, "你好，我要转人工")
    expect(c.get_by_test_id("kefu-handoff")).to_have_attribute("data-status", "queued")
    for payload in XSS:
        widget_say(c, payload)
        expect(c.locator('.kefu-msg[data-role="user"][data-seq] .kefu-text').last).to_have_text(payload)
    cid = c.evaluate("() => window.Kefu.info().conversationId")
    assert cid

    # --- the operator signs in and opens it from the queue ----------------------------------------
    o.goto(f"{base}/console")
    o.get_by_test_id("login-username").fill(username)
    o.get_by_test_id("login-password").fill("wrong password")
    o.get_by_test_id("login-submit").click()
    expect(o.get_by_test_id("login-error")).to_have_text("用户名或密码错误。")
    o.get_by_test_id("login-password").fill(PASSWORD)
    o.get_by_test_id("login-submit").click()
    expect(o.get_by_test_id("console")).to_be_visible()
    expect(o.get_by_test_id("operator-name")).to_have_text("王芳")
    expect(o.get_by_test_id("connection")).to_have_attribute("data-state", "online")
    row = o.locator(f'[data-testid="queue-row"][data-conversation-id="{cid}"]')
    expect(row).to_be_visible()
    expect(row).to_have_attribute("data-handoff", "queued")
    row.click()

    timeline = o.get_by_test_id("timeline")
    said = timeline.locator('[data-type="user_uttered"] [data-testid="timeline-text"]')
    expect(said).to_have_count(3)
    for i, payload in enumerate(XSS, start=1):
        expect(said.nth(i)).to_have_text(payload)  # shown as the characters the customer typed
    assert o.locator("#app img, #app script").count() == 0
    assert o.evaluate("() => window.__xss") is None and c.evaluate("() => window.__xss") is None
    expect(o.get_by_test_id("profile").locator('[data-field="id"]')).to_have_text("C00011")
    expect(o.get_by_test_id("orders").locator("[data-order-id]").first).to_be_visible()
    expect(o.get_by_test_id("send-message")).to_be_disabled()

    # --- take over, reply from a suggestion --------------------------------------------------------
    o.get_by_test_id("takeover").click()
    expect(o.get_by_test_id("conv-chips").get_by_test_id("handoff-status")).to_have_attribute(
        "data-handoff", "operator"
    )
    expect(c.get_by_test_id("kefu-handoff")).to_have_attribute("data-status", "operator")
    expect(c.get_by_test_id("kefu-handoff")).to_have_text("人工客服 王芳 已接入，为您服务")  # not the login
    expect(o.get_by_test_id("suggestion").first).to_contain_text("王芳")
    o.get_by_test_id("suggestion").first.click()
    composer = o.get_by_test_id("composer")
    reply = composer.input_value()
    assert "王芳" in reply
    o.get_by_test_id("send-message").click()
    expect(composer).to_have_value("")
    operator_msg = c.locator('.kefu-msg[data-role="operator"] .kefu-text').last
    expect(operator_msg).to_have_text(reply)
    expect(timeline.locator('[data-type="operator_uttered"]')).to_have_count(1)

    # --- typing both ways; a private note stays private --------------------------------------------
    c.get_by_test_id("kefu-input").press_sequentially("好的，我的订单")
    expect(o.get_by_test_id("customer-typing")).to_be_visible()
    composer.press_sequentially("正在为您查询物流")
    expect(c.get_by_test_id("kefu-typing")).to_have_attribute("data-who", "operator")
    expect(c.get_by_test_id("kefu-typing")).to_be_visible()
    o.get_by_test_id("note-input").fill("老客户，语气要温和")
    o.get_by_test_id("add-note").click()
    note = o.get_by_test_id("notes-list").get_by_test_id("note")
    expect(note.locator(".note-text")).to_have_text("老客户，语气要温和")
    expect(note.locator(".note-meta")).to_contain_text("王芳")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    o.screenshot(path=str(SCREENSHOTS / "console-single-worker.png"))
    c.screenshot(path=str(SCREENSHOTS / "widget-single-worker.png"))
    assert "老客户" not in c.get_by_test_id("kefu-messages").inner_text()

    # --- the zh/en toggle relabels the console, not the customer's words ---------------------------
    o.get_by_test_id("lang-toggle").click()
    expect(o.get_by_test_id("takeover")).to_have_text("Take over")
    expect(said.nth(2)).to_have_text(XSS[1])
    assert customer.problems == [] and console.problems == [], customer.problems + console.problems
    assert customer.failed == []
    # not signed in yet at page load, then the wrong password: nothing else failed
    assert console.failed == [(401, "api/operator/me"), (401, "api/operator/login")]
