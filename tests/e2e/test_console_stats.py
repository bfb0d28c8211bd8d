"""The supervisor view in headless Chromium: a supervisor opens it from the console's top bar and sees the figures
the store holds (handoff rate, CSAT, affect, intents, offers and conversions per campaign) drawn as SVG charts;
an operator never sees the switch. The expected numbers are computed from the same database with the same SQL.

Writes var/screenshots/console-supervisor.png.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.events import AffectObserved, ConversationStarted, CsatGiven, HandoffRequested, IntentRecognized
from server.db.conversations import ConversationRepository
from server.db.engine import make_engine, make_session_factory
from server.db.events import SqlEventStore
from server.db.stats import supervisor_stats

try:  # tests/e2e may or may not be a package
    from tests.e2e.test_console import PASSWORD, ensure_operator
    from tests.e2e.test_console_browser import SCREENSHOTS, Tab
except ImportError:  # pragma: no cover - depends on how pytest imports this file
    from test_console import PASSWORD, ensure_operator  # type: ignore[no-redef]
    from test_console_browser import SCREENSHOTS, Tab  # type: ignore[no-redef]

pytestmark = pytest.mark.e2e


def seed(url: str) -> None:
    """Rated, handed-off conversations of today, so every chart has something to draw."""
    engine = make_engine(url)
    try:
        sessions = make_session_factory(engine)
        repo, store = ConversationRepository(sessions), SqlEventStore(sessions)
        now = datetime.now(UTC) - timedelta(minutes=5)
        for i, (affect, intent, score, handoff) in enumerate(
            [
                ("anger", "complaint", 2, True),
                ("neutral", "order_status", 5, False),
                ("anxiety", "order_status", 4, True),
            ]
        ):
            at = now + timedelta(seconds=i)
            cid, _ = repo.create(channel="web", now=at)
            events = [
                ConversationStarted(conversation_id=cid, channel="web", at=at),
                AffectObserved(conversation_id=cid, label=affect, score=-0.5, intensity=0.6, at=at),
                IntentRecognized(conversation_id=cid, intent=intent, confidence=0.9, at=at),
                CsatGiven(conversation_id=cid, score=score, at=at),
            ]
            if handoff:
                events.insert(3, HandoffRequested(conversation_id=cid, reason="customer_asked", at=at))
            store.append_sync(cid, events)
    finally:
        engine.dispose()


def expected(url: str, days: int):
    engine = make_engine(url)
    try:
        return supervisor_stats(make_session_factory(engine), days=days, timezone="Asia/Shanghai")
    finally:
        engine.dispose()


def sign_in(page, base: str, username: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/console")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("console")).to_be_visible()


def bars(page, chart: str) -> dict[str, int]:
    return page.eval_on_selector_all(
        f'[data-testid="{chart}"] [data-testid="bar"]',
        "nodes => Object.fromEntries(nodes.map(n => [n.dataset.key, Number(n.dataset.value)]))",
    )


def test_supervisor_sees_the_figures_as_charts(browser, live_server: str, e2e_env: dict[str, str]) -> None:
    from playwright.sync_api import expect

    url = e2e_env["KEFU_DATABASE_URL"]
    supervisor = ensure_operator(url, "e2e-supervisor", role="supervisor", name="赵敏")
    operator = ensure_operator(url, "e2e-plain-operator", role="operator", name="李雷")
    seed(url)
    want = expected(url, 7)
    assert want.csat.count >= 3 and want.handoffs.handed_off >= 2

    # an operator has no supervisor view
    tab = Tab(browser, 1280, 800)
    try:
        sign_in(tab.page, live_server, operator)
        expect(tab.page.get_by_test_id("operator-name")).to_have_text("李雷")
        expect(tab.page.get_by_test_id("stats-toggle")).to_be_hidden()
    finally:
        tab.context.close()

    tab = Tab(browser, 1440, 1100)
    try:
        page = tab.page
        sign_in(page, live_server, supervisor)
        toggle = page.get_by_test_id("stats-toggle")
        expect(toggle).to_have_text("主管视图")
        toggle.click()
        expect(page.get_by_test_id("stats-view")).to_be_visible()
        expect(page.get_by_test_id("console")).to_be_hidden()
        page.get_by_test_id("stats-days-7").click()
        expect(page.get_by_test_id("stats-days-7")).to_have_attribute("aria-selected", "true")

        rate = f"{want.handoffs.rate * 100:.1f}%"
        expect(page.get_by_test_id("stats-handoff-kpi")).to_have_text(rate)
        h = want.handoffs
        detail = f"会话 {h.conversations} · 转人工 {h.handed_off} · 人工接管 {h.taken_over}"
        expect(page.get_by_test_id("stats-handoff-detail")).to_have_text(detail)
        expect(page.get_by_test_id("stats-csat-kpi")).to_have_text(f"{want.csat.average:.2f} / 5")
        expect(page.locator('[data-testid="chart-handoff-daily"] [data-testid="column"]')).to_have_count(7)
        today = want.handoffs.daily[-1]
        last = page.locator('[data-testid="chart-handoff-daily"] [data-testid="column"]').last
        expect(last).to_have_attribute("data-values", f"{today.conversations},{today.handed_off}")

        assert bars(page, "chart-csat") == {str(s.score): s.count for s in want.csat.distribution}
        assert bars(page, "chart-affect") == {a.label: a.count for a in want.affect}
        assert bars(page, "chart-intents") == {i.label: i.count for i in want.intents}
        expect(page.get_by_test_id("chart-intents")).to_contain_text("查物流")
        campaigns = bars(page, "chart-campaigns")
        assert campaigns and campaigns == {
            **{f"{c.campaign_id}:offers": c.offers for c in want.campaigns},
            **{f"{c.campaign_id}:conversions": c.conversions for c in want.campaigns},
        }
        assert any(c.conversions for c in want.campaigns)  # the demo store redeems some coupons
        expect(page.get_by_test_id("campaigns-note")).to_contain_text("优惠券")

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "console-supervisor.png"), full_page=True)

        page.get_by_test_id("lang-toggle").click()
        expect(page.get_by_test_id("stats-handoff").locator("h3")).to_have_text("Handoff rate")
        expect(page.get_by_test_id("chart-intents")).to_contain_text("Order status")
        expect(toggle).to_have_text("Back to conversations")
        toggle.click()
        expect(page.get_by_test_id("console")).to_be_visible()
        expect(page.get_by_test_id("stats-view")).to_be_hidden()
        assert tab.problems == [], tab.problems
        assert tab.failed == [(401, "api/operator/me")], tab.failed  # not signed in yet at page load
    finally:
        tab.context.close()
