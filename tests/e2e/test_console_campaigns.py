"""The campaigns pane and the marketing assistant in headless Chromium: a marketer creates a campaign (the API's
field messages shown on the form first), drafts its copy, sees the readout of the offers customers were shown and
the coupons they claimed in real chats, pauses it through the chat box after confirming, and reads who did it and
why in its history. The expected readout comes from the same report function over the same database.

Writes var/screenshots/console-campaigns.png.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from server.db.engine import make_engine, make_session_factory
from server.db.models import Coupon, Order
from server.operators.campaign_readout import campaign_readout
from tests.services import signed

try:  # tests/e2e may or may not be a package
    from tests.e2e.test_console import ensure_operator
    from tests.e2e.test_console_browser import SCREENSHOTS, Tab
    from tests.e2e.test_console_marketing import sign_in
except ImportError:  # pragma: no cover - depends on how pytest imports this file
    from test_console import ensure_operator  # type: ignore[no-redef]
    from test_console_browser import SCREENSHOTS, Tab  # type: ignore[no-redef]
    from test_console_marketing import sign_in  # type: ignore[no-redef]

pytestmark = pytest.mark.e2e

CAMPAIGN = "e2e_weekend"


def local_input(at: datetime) -> str:
    """A datetime-local value in the tab's time zone (Asia/Shanghai)."""
    return (at + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")


def chat(base: str, customer: str | None, *texts: str) -> list[dict]:
    who = signed(customer) if customer else {}
    with httpx.Client(base_url=base, timeout=30) as c:
        r = c.post("/api/conversations", json={"channel": "web", **who, "language": "zh"})
        cid, token = r.json()["conversation_id"], r.json()["token"]
        replies = []
        for text in texts:
            r = c.post(f"/api/conversations/{cid}/messages", json={"text": text},
                       headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200, r.text
            replies.append(r.json()["reply"])
    return replies


def redeem(url: str, code: str, customer: str) -> None:
    """The coupon used at checkout on the customer's latest order (the store's side; no chat tool does it)."""
    engine = make_engine(url)
    try:
        with make_session_factory(engine).begin() as s:
            order = s.scalar(select(Order.id).where(Order.customer_id == customer).order_by(Order.placed_at.desc()))
            s.execute(update(Coupon).where(Coupon.code == code).values(status="used", used_order_id=order))
    finally:
        engine.dispose()


def expected_readout(url: str):
    engine = make_engine(url)
    try:
        return campaign_readout(make_session_factory(engine), CAMPAIGN, now=datetime.now(UTC))
    finally:
        engine.dispose()


def test_marketer_creates_drafts_reads_and_pauses_a_campaign_by_chat(
    browser, live_server: str, e2e_env: dict[str, str]
) -> None:
    from playwright.sync_api import expect

    url = e2e_env["KEFU_DATABASE_URL"]
    marketer = ensure_operator(url, "e2e-camp-marketer", role="marketer", name="陈洁")
    now = datetime.now(UTC)
    tab = Tab(browser, 1600, 1560)
    try:
        page = tab.page
        sign_in(page, live_server, marketer)
        page.get_by_test_id("mkt-pane-campaigns").click()
        expect(page.locator('[data-testid="camp-row"][data-id="year_end"]')).to_be_visible()  # the demo's campaigns

        # create: the API's messages land on the fields they name; fixed, the campaign is created and opened
        page.get_by_test_id("camp-new").click()
        form = page.get_by_test_id("camp-dialog")
        expect(form).to_be_visible()
        page.get_by_test_id("f-id").fill(CAMPAIGN)
        page.get_by_test_id("f-name-zh").fill("周末焕新券")
        page.get_by_test_id("f-name-en").fill("Weekend refresh coupon")
        page.get_by_test_id("f-starts").fill(local_input(now - timedelta(days=5)))
        page.get_by_test_id("f-ends").fill(local_input(now + timedelta(days=9)))
        page.get_by_test_id("f-type").select_option("coupon")
        expect(page.get_by_test_id("f-tiers")).to_be_hidden()
        page.get_by_test_id("f-discount").fill("300")
        page.get_by_test_id("f-min-spend").fill("199")
        page.get_by_test_id("f-budget").fill("3000")
        page.get_by_test_id("f-keywords").fill("周末券, weekend coupon")
        page.get_by_test_id("f-note").fill("配合周末流量高峰")
        page.get_by_test_id("camp-form-save").click()
        expect(page.get_by_test_id("camp-form-errors")).to_contain_text("must be less than min_spend")
        field = page.locator('.field[data-field="rules.discount"]')
        expect(field).to_have_attribute("data-invalid", "true")
        expect(field.get_by_test_id("field-error")).to_contain_text("discount: must be less than min_spend")
        page.get_by_test_id("f-discount").fill("30")
        page.get_by_test_id("camp-form-save").click()
        expect(form).to_be_hidden()
        expect(page.get_by_test_id("camp-name")).to_have_text("周末焕新券")
        row = page.locator(f'[data-testid="camp-row"][data-id="{CAMPAIGN}"]')
        expect(row).to_have_attribute("aria-current", "true")
        expect(page.get_by_test_id("camp-chips").get_by_test_id("camp-status")).to_have_text("进行中")
        expect(page.get_by_test_id("camp-facts")).to_contain_text("满199减30券")
        first = page.get_by_test_id("history-entry").first
        expect(first).to_have_attribute("data-action", "create")
        expect(first).to_contain_text("e2e-camp-marketer")
        expect(first.get_by_test_id("history-note")).to_have_text("配合周末流量高峰")

        # an edit: the history says what changed, from what to what, and why
        page.get_by_test_id("camp-edit").click()
        expect(page.get_by_test_id("f-budget")).to_have_value("3000")
        expect(page.get_by_test_id("f-id")).to_be_disabled()
        page.get_by_test_id("f-budget").fill("5000")
        page.get_by_test_id("f-note").fill("加预算")
        page.get_by_test_id("camp-form-save").click()
        expect(form).to_be_hidden()
        expect(page.get_by_test_id("camp-facts")).to_contain_text("¥0 / ¥5,000")
        edit = page.get_by_test_id("history-entry").first
        expect(edit).to_have_attribute("data-action", "update")
        expect(edit).to_contain_text("预算: 3000.00 → 5000.00")
        expect(edit.get_by_test_id("history-note")).to_have_text("加预算")

        # customers are shown it and claim it in real chats; one coupon is used at checkout
        codes = []
        for customer in ("C00031", "C00033"):
            shown, claimed = chat(live_server, customer, "有什么优惠", "领取周末券")
            assert any(c["id"] == CAMPAIGN for c in shown["cards"]), shown
            codes.append(claimed["cards"][0]["code"])
        chat(live_server, "C00035", "有什么优惠")
        chat(live_server, None, "有什么优惠")
        redeem(url, codes[0], "C00031")
        want = expected_readout(url)
        assert (want.total.reached, want.total.claimed_after_offer, want.total.claimed, want.total.redeemed) == (
            4, 2, 2, 1)

        # its copy, drafted (no LLM here: the template, and it says so)
        page.get_by_test_id("camp-copy").click()
        expect(page.get_by_test_id("camp-copy-card").get_by_test_id("copy-zh")).to_contain_text("满199元减30元")
        expect(page.get_by_test_id("camp-copy-card").get_by_test_id("copy-en")).to_contain_text("¥30")
        expect(page.get_by_test_id("camp-copy-card").get_by_test_id("copy-source").first).to_contain_text("模板生成")

        # the readout: the figures the report computes from the same log
        page.get_by_test_id("mkt-refresh").click()
        expect(page.get_by_test_id("readout-shown-kpi")).to_have_text(str(want.total.shown))
        expect(page.get_by_test_id("readout-claimed-kpi")).to_have_text("2")
        expect(page.get_by_test_id("readout-redeemed-kpi")).to_have_text("1")
        expect(page.get_by_test_id("readout-claimed-detail")).to_have_text("会话领取率 50.0%")
        expect(page.get_by_test_id("readout-budget-kpi")).to_have_text("1.2%")  # ¥60 of ¥5,000
        expect(page.locator('[data-testid="segment-row"][data-key="anonymous"]')).to_contain_text("未登录访客")
        expect(page.locator('[data-testid="chart-readout-daily"] [data-testid="column"]')).to_have_count(6)
        expect(page.get_by_test_id("readout-experiments")).to_have_attribute("data-state", "none")

        # by chat: asked, proposed, confirmed with a reason, then it runs and the history says who and why
        page.get_by_test_id("ask-input").fill("暂停周末焕新券")
        page.get_by_test_id("ask-input").press("Enter")
        proposal = page.get_by_test_id("ask-proposal")
        expect(proposal).to_contain_text("暂停 · 周末焕新券")
        expect(proposal).to_contain_text("进行中 → 已暂停")
        expect(page.get_by_test_id("camp-chips").get_by_test_id("camp-status")).to_have_text("进行中")  # not yet
        proposal.get_by_test_id("ask-proposal-note").fill("预算复核，先暂停")
        proposal.get_by_test_id("ask-confirm").click()
        expect(page.get_by_test_id("ask-answer").last).to_contain_text("已暂停「周末焕新券」")
        expect(proposal).to_have_attribute("data-state", "done")
        expect(page.get_by_test_id("camp-chips").get_by_test_id("camp-status")).to_have_text("已暂停")
        latest = page.get_by_test_id("history-entry").first
        expect(latest).to_have_attribute("data-action", "pause")
        expect(latest).to_contain_text("e2e-camp-marketer")
        expect(latest.get_by_test_id("history-note")).to_have_text("预算复核，先暂停")
        expect(page.get_by_test_id("camp-resume")).to_be_visible()
        expect(page.get_by_test_id("camp-pause")).to_be_hidden()

        page.get_by_test_id("ask-input").fill("周末焕新券效果怎么样")
        page.get_by_test_id("ask-send").click()
        expect(page.get_by_test_id("ask-answer").last).to_contain_text(
            f"「周末焕新券」（已暂停）：展示 {want.total.shown} 次")
        card = page.get_by_test_id("ask-answer").last.get_by_test_id("ask-card")
        expect(card).to_have_attribute("data-type", "readout")

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "console-campaigns.png"))

        page.get_by_test_id("ask-example").nth(2).click()  # "A/B 测试结果": honestly none
        expect(page.get_by_test_id("ask-answer").last).to_contain_text("还没有 A/B 实验")

        # resumed from its own button: the dialog asks why, and the history keeps it
        page.get_by_test_id("camp-resume").click()
        expect(page.get_by_test_id("move-dialog")).to_be_visible()
        page.get_by_test_id("move-note").fill("复核完毕")
        page.get_by_test_id("move-confirm").click()
        expect(page.get_by_test_id("move-dialog")).to_be_hidden()
        expect(page.get_by_test_id("camp-chips").get_by_test_id("camp-status")).to_have_text("进行中")
        resumed = page.get_by_test_id("history-entry").first
        expect(resumed).to_have_attribute("data-action", "resume")
        expect(resumed.get_by_test_id("history-note")).to_have_text("复核完毕")
        page.get_by_test_id("lang-toggle").click()
        expect(page.get_by_test_id("mkt-pane-campaigns")).to_have_text("Campaigns")
        expect(page.get_by_test_id("camp-chips").get_by_test_id("camp-status")).to_have_text("Active")
        expect(page.get_by_test_id("camp-name")).to_have_text("Weekend refresh coupon")

        # a demo campaign with history (past conversations of the demo store)
        page.locator('[data-testid="camp-row"][data-id="double11"]').click()
        expect(page.get_by_test_id("camp-name")).to_have_text("Singles' Day Sale")
        expect(page.get_by_test_id("readout-shown-kpi")).not_to_have_text("0")
        expect(page.get_by_test_id("readout-claimed-detail")).to_have_text("Applied at checkout: nothing to claim")
        assert tab.problems == [], tab.problems
        assert tab.failed == [(401, "api/operator/me"), (422, "api/operator/campaigns")], tab.failed
    finally:
        tab.context.close()
