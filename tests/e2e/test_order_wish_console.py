"""What an operator sees of a shipping wish, in headless Chromium against a live server: a customer of their own (made
for the test, so no other test's order changes) asks over the REST API to have their unshipped order sent with JD
Logistics and confirms; the console shows the wish on that order in the side panel and the recorded wish in the
timeline, in zh and after the toggle in en. Screenshot: var/screenshots/console-order-wish.png."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from server.db.engine import make_engine, make_session_factory
from server.db.models import Customer, Order, OrderLine, Product
from tests.services import signed

try:  # tests/e2e may or may not be a package
    from tests.e2e.test_console import PASSWORD, ensure_operator
except ImportError:  # pragma: no cover - depends on how pytest imports this file
    from test_console import PASSWORD, ensure_operator  # type: ignore[no-redef]

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
TIMEOUT_MS = 15_000


def customer_with_an_unshipped_order(url: str) -> tuple[str, str]:
    """A new customer (an id after every demo customer's: not on the demo page) with one paid, unshipped order."""
    engine = make_engine(url)
    try:
        with make_session_factory(engine).begin() as s:
            cid = "C99" + datetime.now(UTC).strftime("%H%M%S")
            s.add(Customer(id=cid, name="Wish Tester", language="zh", email="wish@example.com", phone="13800009999",
                           address="Test road 9", created_at=datetime.now(UTC)))
            last = s.scalar(select(func.max(Order.id)))
            oid = f"KF{int(last[2:]) + 1:08d}"
            product = s.scalars(select(Product).where(Product.stock > 5).order_by(Product.id)).first()
            placed = datetime.now(UTC) - timedelta(hours=1)
            s.add(Order(id=oid, customer_id=cid, status="paid", placed_at=placed, paid_at=placed,
                        total=product.price, shipping_address="Test road 9"))
            s.flush()
            s.add(OrderLine(order_id=oid, product_id=product.id, quantity=1, unit_price=Decimal(product.price)))
        return cid, oid
    finally:
        engine.dispose()


def test_the_console_shows_the_wish_on_the_order_and_in_the_timeline(browser, request: pytest.FixtureRequest) -> None:
    from playwright.sync_api import expect

    # the browser first: without Chromium the test skips before the server is started
    live_server: str = request.getfixturevalue("live_server")
    e2e_env: dict[str, str] = request.getfixturevalue("e2e_env")

    customer, order_id = customer_with_an_unshipped_order(e2e_env["KEFU_DATABASE_URL"])
    username = ensure_operator(e2e_env["KEFU_DATABASE_URL"], "e2e-wishes", name="李雷")
    with httpx.Client(base_url=live_server, timeout=30) as http:
        started = http.post("/api/conversations", json={"channel": "web", **signed(customer), "language": "zh"})
        assert started.status_code == 201, started.text
        cid, token = started.json()["conversation_id"], started.json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        stated = http.post(f"/api/conversations/{cid}/messages", json={"text": "这单麻烦给我发京东吧"}, headers=auth)
        assert order_id in stated.json()["reply"]["text"]
        done = http.post(f"/api/conversations/{cid}/messages", json={"text": "好的"}, headers=auth)
        assert "京东物流" in done.json()["reply"]["text"]

    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai")
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
        order = page.get_by_test_id("orders").locator(f'[data-order-id="{order_id}"]')
        expect(order.get_by_test_id("order-wish")).to_have_text("用京东物流发货")
        recorded = page.get_by_test_id("timeline").locator('[data-type="order_wish_recorded"]')
        expect(recorded).to_contain_text(f"订单 {order_id} 已备注：用京东物流发货")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "console-order-wish.png"))
        page.get_by_test_id("lang-toggle").click()
        expect(order.get_by_test_id("order-wish")).to_have_text("ship with JD Logistics")
        assert problems == []
    finally:
        context.close()
