"""The marketing view in headless Chromium: a marketer signs in straight to it and sees the mined rules with their
figures and cross-sell acceptance, sorts and filters them, and reads recommendation click-through by source; a
supervisor opens it from the top bar. Rules and outcomes are seeded into the live server's store and rules folder;
the expected figures come from the same report functions over the same database.

Writes var/screenshots/console-marketing.png.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server.db.engine import make_engine, make_session_factory
from server.operators.marketing import recommendations_report
from tests.server.marketing_support import Seeded, pick_products, seed_events, write_rules

try:  # tests/e2e may or may not be a package
    from tests.e2e.test_console import PASSWORD, ensure_operator
    from tests.e2e.test_console_browser import SCREENSHOTS, Tab
except ImportError:  # pragma: no cover - depends on how pytest imports this file
    from test_console import PASSWORD, ensure_operator  # type: ignore[no-redef]
    from test_console_browser import SCREENSHOTS, Tab  # type: ignore[no-redef]

pytestmark = pytest.mark.e2e

NAMES = ("e2e-orders-product", "e2e-orders-category")


@pytest.fixture(scope="module")
def seeded(browser, e2e_env: dict[str, str]) -> Seeded:
    url = e2e_env["KEFU_DATABASE_URL"]
    picked = pick_products(url)
    now = datetime.now(UTC)
    write_rules(Path(e2e_env["KEFU_RULES_DIR"]), picked, now - timedelta(days=2), names=NAMES, broken=False)
    seed_events(url, picked, now, names=NAMES)
    return picked


def sign_in(page, base: str, username: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/console")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("operator-name")).to_be_visible()


def rule_rows(page) -> list[dict]:
    """What each rule row of the e2e rule sets shows: ids, figures as written, acceptance text."""
    return page.eval_on_selector_all(
        '[data-testid="rule-row"]',
        """rows => rows.filter(r => r.dataset.ruleSet.startsWith('e2e-')).map(r => ({
            set: r.dataset.ruleSet,
            a: r.querySelector('[data-col=antecedent]').dataset.ids,
            c: r.querySelector('[data-col=consequent]').dataset.ids,
            support: r.querySelector('[data-col=support]').textContent,
            confidence: r.querySelector('[data-col=confidence]').textContent,
            lift: r.querySelector('[data-col=lift]').textContent,
            offers: r.querySelector('[data-col=offers]').textContent,
            acceptance: r.querySelector('[data-col=acceptance]').textContent,
        }))""",
    )


def ctr_rows(page) -> dict[str, tuple[int, int, str]]:
    shown = page.eval_on_selector_all(
        '[data-testid="ctr-row"]',
        """rows => rows.map(r => [r.dataset.key,
            Number(r.querySelector('[data-col=impressions]').textContent),
            Number(r.querySelector('[data-col=clicks]').textContent),
            r.querySelector('[data-testid=ctr]').textContent])""",
    )
    return {key: (impressions, clicks, ctr) for key, impressions, clicks, ctr in shown}


def pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def expected_ctr(url: str):
    engine = make_engine(url)
    try:
        return recommendations_report(make_session_factory(engine), now=datetime.now(UTC), days=30)
    finally:
        engine.dispose()


def test_marketer_reads_rules_acceptance_and_click_through(
    browser, seeded: Seeded, live_server: str, e2e_env: dict[str, str]
) -> None:
    from playwright.sync_api import expect

    url = e2e_env["KEFU_DATABASE_URL"]
    marketer = ensure_operator(url, "e2e-marketer", role="marketer", name="陈洁")
    supervisor = ensure_operator(url, "e2e-mkt-supervisor", role="supervisor", name="赵敏")
    p, cat = seeded.p, seeded.category
    want = expected_ctr(url)
    assert want.total is not None and want.total.impressions >= 7

    tab = Tab(browser, 1440, 1300)
    try:
        page = tab.page
        sign_in(page, live_server, marketer)
        expect(page.get_by_test_id("marketing-view")).to_be_visible()
        expect(page.get_by_test_id("console")).to_be_hidden()
        expect(page.get_by_test_id("stats-toggle")).to_be_hidden()
        expect(page.get_by_test_id("marketing-toggle")).to_be_hidden()
        expect(page.get_by_test_id("operator-role")).to_have_text("营销")
        expect(page.get_by_test_id("mkt-days-30")).to_have_attribute("aria-selected", "true")

        # the rules, strongest lift first, with their figures and the acceptance of the offers they made
        expect(page.locator('[data-testid="rule-row"][data-rule-set^="e2e-"]')).to_have_count(4)
        rows = rule_rows(page)
        assert [(r["set"], r["a"], r["c"]) for r in rows] == [
            (NAMES[0], p[1], p[3]), (NAMES[0], p[0], p[2]), (NAMES[1], cat[p[0]], cat[p[2]]), (NAMES[0], p[5], p[6])]
        assert [(r["support"], r["confidence"], r["lift"]) for r in rows] == [
            ("3.00%", "60.0%", "5.00×"), ("4.00%", "50.0%", "4.00×"), ("10.00%", "45.0%", "2.50×"),
            ("1.00%", "20.0%", "1.20×")]
        assert [(r["offers"], r["acceptance"]) for r in rows] == [
            ("1", "100.0%1/1"), ("2", "50.0%1/2"), ("1", "100.0%1/1"), ("0", "尚未推荐")]
        row = page.locator('[data-testid="rule-row"]', has=page.locator(f'[data-ids="{p[0]}"]')).first
        expect(row.locator("[data-col=antecedent]")).to_contain_text(seeded.names_zh[p[0]])
        chips = page.locator('[data-testid="rule-set-chip"][data-name^="e2e-"]')
        expect(chips).to_have_count(2)
        expect(chips.first).to_contain_text("Spark")  # e2e-orders-category sorts first by name
        kpi = page.get_by_test_id("mkt-kpi-acceptance-kpi")
        expect(kpi).not_to_have_text("—")

        # click-through by source: the figures the report computes from the same log
        expect(page.locator('[data-testid="ctr-row"]')).to_have_count(len(want.by_source))
        assert ctr_rows(page) == {r.key: (r.impressions, r.clicks, pct(r.ctr.value)) for r in want.by_source}
        expect(page.get_by_test_id("mkt-kpi-ctr-kpi")).to_have_text(pct(want.total.ctr.value))
        expect(page.locator('[data-testid="ctr-row"][data-key="model"]')).to_contain_text("协同过滤模型")

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "console-marketing.png"), full_page=True)

        page.get_by_test_id("mkt-dim-bandit").click()
        assert ctr_rows(page) == {r.key: (r.impressions, r.clicks, pct(r.ctr.value)) for r in want.by_bandit}
        assert "linucb" in ctr_rows(page)

        # sort by acceptance (its interval's low end), then filter by a product's name
        page.get_by_test_id("sort-acceptance").click()
        expect(page.locator('th[aria-sort="descending"] [data-sort="acceptance"]')).to_be_visible()
        expect(page.locator('[data-testid="rule-row"][data-rule-set^="e2e-"]').last).to_contain_text("尚未推荐")
        assert [(r["a"], r["c"]) for r in rule_rows(page)] == [
            (p[1], p[3]), (cat[p[0]], cat[p[2]]), (p[0], p[2]), (p[5], p[6])]
        page.get_by_test_id("mkt-filter").fill(seeded.names_zh[p[5]])
        expect(page.locator('[data-testid="rule-row"]')).to_have_count(1)
        assert [(r["a"], r["c"]) for r in rule_rows(page)] == [(p[5], p[6])]
        page.get_by_test_id("mkt-filter").fill("没有这样的商品")
        expect(page.get_by_test_id("mkt-rules-nomatch")).to_be_visible()

        page.get_by_test_id("lang-toggle").click()
        title = page.get_by_test_id("mkt-rules").locator("h3")
        expect(title).to_have_text("Association rules and cross-sell acceptance")
        expect(page.get_by_test_id("mkt-dim-source")).to_have_text("Source")
        assert tab.problems == [], tab.problems
        assert tab.failed == [(401, "api/operator/me")], tab.failed  # not signed in yet at page load
    finally:
        tab.context.close()

    # before any rule is mined the view says what to run (the server's answer without rule sets)
    tab = Tab(browser, 1280, 900)
    try:
        page = tab.page

        def no_rules(route) -> None:
            body = route.fetch().json()
            body.update(rule_sets=[], rules=[], total=0, categories=[])
            route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

        def nothing_shown(route) -> None:
            body = route.fetch().json()
            body.update(total=None, by_source=[], by_bandit=[], by_tool=[])
            route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

        page.route("**/api/operator/marketing/rules?*", no_rules)
        page.route("**/api/operator/marketing/recommendations?*", nothing_shown)
        sign_in(page, live_server, marketer)
        empty = page.get_by_test_id("mkt-rules-empty")
        expect(empty).to_contain_text("尚未挖掘关联规则")
        expect(empty.locator("code")).to_have_text("kefu rules mine --from-orders --min-support 0.01")
        expect(page.get_by_test_id("mkt-ctr-empty")).to_contain_text("推荐一款手机壳")
        expect(page.get_by_test_id("mkt-kpi-ctr-kpi")).to_have_text("—")
        expect(page.get_by_test_id("mkt-kpi-rules-kpi")).to_have_text("0")
    finally:
        tab.context.close()

    # a supervisor opens the view from the top bar and goes back to the conversations
    tab = Tab(browser, 1280, 900)
    try:
        page = tab.page
        sign_in(page, live_server, supervisor)
        expect(page.get_by_test_id("console")).to_be_visible()
        toggle = page.get_by_test_id("marketing-toggle")
        expect(toggle).to_have_text("营销视图")
        toggle.click()
        expect(page.get_by_test_id("marketing-view")).to_be_visible()
        expect(page.locator('[data-testid="rule-row"][data-rule-set^="e2e-"]')).to_have_count(4)
        expect(toggle).to_have_text("返回会话")
        page.get_by_test_id("stats-toggle").click()
        expect(page.get_by_test_id("stats-view")).to_be_visible()
        expect(page.get_by_test_id("marketing-view")).to_be_hidden()
        page.get_by_test_id("stats-toggle").click()
        expect(page.get_by_test_id("console")).to_be_visible()
        assert tab.problems == [], tab.problems
    finally:
        tab.context.close()
