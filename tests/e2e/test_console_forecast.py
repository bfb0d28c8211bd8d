"""The forecast pane of the marketing view in headless Chromium: a marketer proposes 满300减50 for a week and reads
orders and revenue without and with it, per day; the figures are the API's for the same proposal (the console
adds nothing of its own), and the campaign lifts orders (the demo store's past campaigns did); with the check
box, DoWhy's refutations are listed.

Writes var/screenshots/console-forecast.png.
"""

from __future__ import annotations

import pytest

try:  # tests/e2e may or may not be a package
    from tests.e2e.test_console import ensure_operator
    from tests.e2e.test_console_browser import SCREENSHOTS, Tab
    from tests.e2e.test_console_marketing import sign_in
except ImportError:  # pragma: no cover - depends on how pytest imports this file
    from test_console import ensure_operator  # type: ignore[no-redef]
    from test_console_browser import SCREENSHOTS, Tab  # type: ignore[no-redef]
    from test_console_marketing import sign_in  # type: ignore[no-redef]

pytestmark = pytest.mark.e2e


def test_marketer_forecasts_a_full_reduction(browser, live_server: str, e2e_env: dict[str, str]) -> None:
    from playwright.sync_api import expect

    marketer = ensure_operator(e2e_env["KEFU_DATABASE_URL"], "e2e-forecaster", role="marketer", name="林越")
    tab = Tab(browser, 1440, 1300)
    try:
        page = tab.page
        sign_in(page, live_server, marketer)
        page.get_by_test_id("mkt-pane-forecast").click()
        expect(page.get_by_test_id("mkt-forecast")).to_be_visible()
        expect(page.get_by_test_id("mkt-insights")).to_be_hidden()
        expect(page.get_by_test_id("fc-threshold")).to_have_value("300")
        page.get_by_test_id("fc-discount").fill("50")
        page.get_by_test_id("fc-days").fill("7")
        with page.expect_response("**/api/operator/marketing/forecast") as response:
            page.get_by_test_id("fc-submit").click()
        got = response.value.json()
        assert response.value.status == 200, got
        expect(page.get_by_test_id("fc-day")).to_have_count(7)
        expect(page.get_by_test_id("fc-orders-with-kpi")).to_have_text(f"{got['orders_with']:.0f}")
        expect(page.get_by_test_id("fc-orders-without-kpi")).to_have_text(f"{got['orders_without']:.0f}")
        assert got["type"] == "full_reduction" and (got["threshold"], got["discount"]) == (300, 50)
        assert got["orders_with"] > got["orders_without"] > 0 and got["campaigns_learnt"] >= 10
        first = page.get_by_test_id("fc-day").first.locator("td")
        expect(first.nth(0)).to_have_text(got["daily"][0]["day"])
        expect(first.nth(2)).to_have_text(f"{got['daily'][0]['orders_with']:.1f}")
        expect(page.get_by_test_id("fc-refutations")).to_have_count(0)

        # with the refutation checks: DoWhy's three, for orders and for order value
        page.get_by_test_id("fc-refute").check()
        with page.expect_response("**/api/operator/marketing/forecast", timeout=120_000) as response:
            page.get_by_test_id("fc-submit").click()
        checked = response.value.json()
        rows = page.get_by_test_id("fc-refutation")
        expect(rows).to_have_count(6)
        assert [(r["outcome"], r["method"]) for r in checked["refutations"]] == [
            (o, m) for o in ("orders", "basket")
            for m in ("placebo_treatment_refuter", "random_common_cause", "data_subset_refuter")]
        expect(rows.first).to_contain_text("安慰剂处理")
        expect(rows.first).to_have_attribute("data-passed", str(checked["refutations"][0]["passed"]).lower())
        assert checked["orders_with"] == got["orders_with"]  # the same fit, now with its checks
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "console-forecast.png"), full_page=True)

        # a percent-off proposal hides the threshold and asks for a percentage
        page.get_by_test_id("fc-type").select_option("percent_off")
        expect(page.get_by_test_id("fc-threshold")).to_be_hidden()
        assert tab.problems == [], tab.problems
    finally:
        tab.context.close()
