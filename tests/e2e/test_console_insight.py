"""Customer insight in headless Chromium against a live server (its demo store has reviews and browsing): an operator
opens a signed-in customer's conversation and sees their profile beside it (segment, churn risk, RFM, needs with the
words that showed them, favourite categories, price band), in zh and after the toggle in en; a marketer opens the
churn pane of the marketing view and sees the customers likeliest to lapse, riskiest first, with why. The expected
values come from the same server's API.

Writes var/screenshots/console-profile.png and var/screenshots/console-churn.png.
"""

from __future__ import annotations

import math

import httpx
import pytest

from tests.services import signed

try:  # tests/e2e may or may not be a package
    from tests.e2e.test_console import PASSWORD, ensure_operator
    from tests.e2e.test_console_browser import SCREENSHOTS, Tab
    from tests.e2e.test_console_marketing import sign_in
except ImportError:  # pragma: no cover - depends on how pytest imports this file
    from test_console import PASSWORD, ensure_operator  # type: ignore[no-redef]
    from test_console_browser import SCREENSHOTS, Tab  # type: ignore[no-redef]
    from test_console_marketing import sign_in  # type: ignore[no-redef]

pytestmark = pytest.mark.e2e

CUSTOMER = "C00003"
SEGMENTS_ZH = {"champions": "重要价值客户", "loyal": "忠诚客户", "potential_loyalist": "潜力客户", "new": "新客户",
               "promising": "有潜力的新客", "need_attention": "需要关注", "about_to_sleep": "即将沉睡",
               "at_risk": "流失风险客户", "cant_lose": "不能失去的客户", "hibernating": "沉睡客户"}


def _bearer(http: httpx.Client, username: str) -> dict[str, str]:
    r = http.post("/api/operator/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    http.cookies.clear()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_profile_beside_the_conversation_and_the_churn_list(browser, request: pytest.FixtureRequest) -> None:
    from playwright.sync_api import expect

    live_server: str = request.getfixturevalue("live_server")  # the browser first: no Chromium, no server
    url = request.getfixturevalue("e2e_env")["KEFU_DATABASE_URL"]
    operator = ensure_operator(url, "e2e-insight-op", name="周杰")
    marketer = ensure_operator(url, "e2e-insight-mkt", role="marketer", name="陈洁")
    with httpx.Client(base_url=live_server, timeout=60) as http:
        started = http.post("/api/conversations", json={"channel": "web", **signed(CUSTOMER), "language": "zh"})
        assert started.status_code == 201, started.text
        cid, token = started.json()["conversation_id"], started.json()["token"]
        said = http.post(f"/api/conversations/{cid}/messages", json={"text": "你好，我想问下快递到哪了"},
                         headers={"Authorization": f"Bearer {token}"})
        assert said.status_code == 200, said.text
        profile = http.get(f"/api/operator/customers/{CUSTOMER}/profile", headers=_bearer(http, operator)).json()
        churn = http.get("/api/operator/marketing/churn?limit=50", headers=_bearer(http, marketer)).json()
    assert profile["rfm"] and profile["needs"] and profile["churn"] and churn["customers"]

    tab = Tab(browser, 1440, 1000)
    try:
        page = tab.page
        sign_in(page, live_server, operator)
        page.locator(f'[data-testid="conversation-row"][data-conversation-id="{cid}"]').click()
        box = page.get_by_test_id("customer-insight")
        expect(box.get_by_test_id("insight-segment")).to_have_text(SEGMENTS_ZH[profile["segment"]])
        # as the console rounds (JavaScript's Math.round: halves up), not Python's round (halves to even: 12.5 → 12)
        risk = math.floor(profile["churn"]["risk"] * 100 + 0.5)
        expect(box.get_by_test_id("insight-churn")).to_have_text(f"流失风险 {risk}%")
        expect(box.get_by_test_id("insight-rfm")).to_contain_text(f"RFM {profile['rfm']['code']}")
        expect(box.get_by_test_id("insight-rfm")).to_contain_text(f"{profile['rfm']['frequency']} 单")
        top = profile["needs"][0]
        need = box.locator(f'[data-need="{top["tag"]}"]')
        expect(need).to_have_text(f"{top['name_zh']} ×{top['count']}")
        expect(box.get_by_test_id("insight-needs")).to_contain_text(top["words"][0])
        expect(box.get_by_test_id("insight-categories")).to_contain_text(profile["categories"][0]["name_zh"])
        band = {"low": "偏低", "mid": "中等", "high": "偏高"}[profile["price_band"]]
        expect(box.get_by_test_id("insight-price-band")).to_have_text(band)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "console-profile.png"))
        page.get_by_test_id("lang-toggle").click()
        expect(box.get_by_test_id("insight-churn")).to_have_text(f"Churn risk {risk}%")
        expect(need).to_have_text(f"{top['name_en']} ×{top['count']}")
        expect(page.get_by_test_id("insight-panel").locator("h3")).to_have_text("Customer insight")
        assert tab.problems == [], tab.problems
    finally:
        tab.context.close()

    tab = Tab(browser, 1440, 1300)
    try:
        page = tab.page
        sign_in(page, live_server, marketer)
        expect(page.get_by_test_id("marketing-view")).to_be_visible()
        page.get_by_test_id("mkt-pane-churn").click()
        rows = page.get_by_test_id("churn-row")
        expect(rows).to_have_count(len(churn["customers"]))
        first = churn["customers"][0]
        expect(rows.first).to_have_attribute("data-customer-id", first["customer_id"])
        expect(rows.first).to_contain_text(first["name"])
        expect(rows.first.locator(".churn-risk")).to_have_text(f"{round(first['risk'] * 100)}%")
        shown = [float(x) for x in page.eval_on_selector_all(
            '[data-testid="churn-row"] .churn-risk', "cells => cells.map(c => c.dataset.risk)")]
        assert shown == sorted(shown, reverse=True) and shown[0] == first["risk"]
        expect(page.get_by_test_id("churn-about")).to_contain_text(f"预测未来 {churn['horizon_days']} 天不下单")
        with_reason = next((c for c in churn["customers"] if any(r["code"] == "overdue" for r in c["reasons"])), None)
        if with_reason is not None:  # a reason in words: how long since their last order against their usual gap
            row = page.locator(f'[data-testid="churn-row"][data-customer-id="{with_reason["customer_id"]}"]')
            expect(row).to_contain_text("天未下单（平时约")
        page.screenshot(path=str(SCREENSHOTS / "console-churn.png"), full_page=True)
        page.get_by_test_id("lang-toggle").click()
        expect(page.get_by_test_id("mkt-pane-churn")).to_have_text("Churn risk")
        expect(page.get_by_test_id("mkt-churn").locator("h3")).to_have_text("Customers likely to lapse")
        assert tab.problems == [], tab.problems
    finally:
        tab.context.close()
