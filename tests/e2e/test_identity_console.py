"""Linked accounts in the console, in headless Chromium against a live server: a brand-new account (made for the
test) signs in on the demo store's coupon-farm phone and asks for the welcome coupon, which is refused; the
operator opens that conversation and the side panel shows the linked group — every account with its orders and
new-customer coupons, the shared device and card masked, the warning that the group already had its welcome
coupons — in zh and, after the toggle, in en. Screenshot: var/screenshots/console-linked-accounts.png."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from server.db.engine import make_engine, make_session_factory
from server.db.identities import SqlIdentityStore
from server.db.models import AccountIdentifier, Customer
from tests.services import signed
from tools.marketing.insight.identity_keys import identifier_key

try:  # tests/e2e may or may not be a package
    from tests.e2e.test_console import PASSWORD, ensure_operator
except ImportError:  # pragma: no cover - depends on how pytest imports this file
    from test_console import PASSWORD, ensure_operator  # type: ignore[no-redef]

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
TIMEOUT_MS = 15_000


def new_account_on_the_farm_phone(url: str) -> tuple[str, tuple[str, ...], list[str]]:
    """A new customer signed in on the device the demo's largest linked group shares; its id, the group's accounts
    (with it) and every raw value the group shares (none of which may appear whole on the page)."""
    engine = make_engine(url)
    try:
        sessions = make_session_factory(engine)
        store = SqlIdentityStore(sessions)
        farm = store.graph().groups[0]
        cid = "C98" + datetime.now(UTC).strftime("%H%M%S")
        with sessions.begin() as s:
            s.add(Customer(id=cid, name="Farm Tester", language="zh", email="f***1@example.com", phone="139****0001",
                           address="—", created_at=datetime.now(UTC)))
            values = list(s.scalars(select(AccountIdentifier.value).where(
                AccountIdentifier.customer_id.in_(farm.accounts))))
        on_all = next(e for e in farm.evidence if e.kind == "device" and e.accounts == farm.accounts)
        device = next(v for v in values if identifier_key("device", v) == on_all.key)
        store.record(cid, "device", device, "sign_in", datetime.now(UTC))
        shared = [v for v in set(values) if values.count(v) > 1]
        return cid, tuple(sorted((*farm.accounts, cid))), shared
    finally:
        engine.dispose()


def test_the_console_shows_a_customers_linked_accounts(browser, request: pytest.FixtureRequest) -> None:
    from playwright.sync_api import expect

    live_server: str = request.getfixturevalue("live_server")
    e2e_env: dict[str, str] = request.getfixturevalue("e2e_env")
    customer, accounts, shared = new_account_on_the_farm_phone(e2e_env["KEFU_DATABASE_URL"])
    username = ensure_operator(e2e_env["KEFU_DATABASE_URL"], "e2e-identity", name="赵敏")
    with httpx.Client(base_url=live_server, timeout=30) as http:
        started = http.post("/api/conversations", json={"channel": "web", **signed(customer), "language": "zh"})
        assert started.status_code == 201, started.text
        cid, token = started.json()["conversation_id"], started.json()["token"]
        said = http.post(f"/api/conversations/{cid}/messages", json={"text": "领取新人券"},
                         headers={"Authorization": f"Bearer {token}"}).json()["reply"]["text"]
        assert said.startswith("「新人专享券」每位新客户只能领取一次。"), said

    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.goto(f"{live_server}/console")
        page.get_by_test_id("login-username").fill(username)
        page.get_by_test_id("login-password").fill(PASSWORD)
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("console")).to_be_visible()
        page.locator(f'[data-testid="conversation-row"][data-conversation-id="{cid}"]').click()
        panel = page.get_by_test_id("linked")
        others = len(accounts) - 1
        expect(panel.get_by_test_id("linked-summary")).to_have_text(f"与 {others} 个账户关联（设备、支付）")
        rows = panel.get_by_test_id("linked-account")
        expect(rows).to_have_count(len(accounts))
        assert [rows.nth(i).get_attribute("data-customer-id") for i in range(len(accounts))] == list(accounts)
        expect(panel.locator(f'[data-customer-id="{customer}"]')).to_contain_text("（当前顾客）")
        expect(panel.locator(f'[data-customer-id="{customer}"]')).to_contain_text("0 单 · 新人券 0")
        expect(panel.get_by_test_id("linked-warning")).to_contain_text("同组账户不能再领新人券")
        device = panel.locator('[data-testid="linked-evidence"][data-kind="device"]')
        expect(device).to_contain_text("device …")
        expect(device).to_contain_text(customer)
        expect(panel.locator('[data-testid="linked-evidence"][data-kind="payment"]')).to_contain_text("token …")
        text = panel.inner_text()
        assert not [v for v in shared if v in text]  # the shared device and card never appear whole
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.get_by_test_id("linked-panel").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "console-linked-accounts.png"))
        page.get_by_test_id("lang-toggle").click()
        expect(panel.get_by_test_id("linked-summary")).to_have_text(f"Linked to {others} accounts (device, payment)")
        expect(page.locator("#linked-title")).to_have_text("Linked accounts")
        assert problems == []
    finally:
        context.close()
