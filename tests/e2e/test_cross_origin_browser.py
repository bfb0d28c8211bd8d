"""The widget embedded in a store page on another origin, in headless Chromium against a live server.

The session's live server runs with `KEFU_HTTP_ALLOWED_ORIGINS` naming one store origin; two tiny HTTP servers on
other 127.0.0.1 ports serve the store's page: one on the allowed origin, one on an origin nobody allowed. Each page
embeds `<script src="http://127.0.0.1:<kefu>/widget.js" data-customer-id=… data-customer-sig=…>` as a store
would. On the allowed origin the customer asks about an order and sees its real status, and the widget
resumes after its socket drops; on the other origin no conversation is created and the socket is refused.
The server's log, read afterwards, holds no conversation token.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from websockets.sync.client import connect

from server.db.engine import make_engine, make_session_factory
from server.db.orders import SqlOrderRepository
from tests.e2e.store_pages import StorePages, shop_page, store_pages
from tests.e2e.test_browser_demo import BOT_MSGS, EN_STATUS_WORDS, MESSAGES, USER_MSGS, Page, ask, assert_clean
from tests.sockets import authenticate
from tools.commerce.ports import OrderView

pytestmark = pytest.mark.e2e

TIMEOUT_S = 15

# Before the widget loads: keep every socket the page opens (its URL and the frames it sent), and let the test
# hold back frames a socket sends (so a reconnect can be kept from authenticating while the test acts).
WATCH_SOCKETS = """
(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.__hold = false;
  class Watched extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      this.sent = [];
      this.held = [];
      window.__sockets.push(this);
    }
    send(data) {
      this.sent.push(String(data));
      if (window.__hold) this.held.push(data);
      else super.send(data);
    }
  }
  window.__release = () => {
    window.__hold = false;
    for (const s of window.__sockets) for (const d of s.held.splice(0)) Native.prototype.send.call(s, d);
  };
  window.WebSocket = Watched;
})();
"""

# From a page: open a chat socket, send the auth frame, and report the frames received and the close code.
TRY_SOCKET = """
([url, token]) => new Promise((resolve) => {
  const ws = new WebSocket(url);
  const frames = [];
  ws.onopen = () => ws.send(JSON.stringify({type: "auth", token}));
  ws.onmessage = (e) => {
    frames.push(JSON.parse(e.data));
    if (frames[frames.length - 1].type === "ready") ws.close(1000);
  };
  ws.onclose = (e) => resolve({code: e.code, frames});
})
"""


@pytest.fixture(scope="module")
def stores(allowed_store: StorePages) -> Iterator[tuple[StorePages, StorePages]]:
    """(allowed store, foreign store), each serving pages on its own port."""
    with store_pages() as foreign:
        yield allowed_store, foreign


@pytest.fixture
def kefu(browser, live_server_and_log: tuple[str, Path]) -> tuple[str, Path]:
    """The session's Kefu server, which allows the first store's origin: (base URL, its log file, written at INFO).
    The browser first: without Chromium the test skips before the server is started."""
    return live_server_and_log


def in_transit(db_url: str) -> OrderView:
    """An order on its way, of a customer no other e2e test talks as."""
    repo = SqlOrderRepository(make_session_factory(make_engine(db_url)))
    for n in range(21, 60):
        for order in repo.list_orders(f"C{n:05d}", limit=20):
            if order.shipment and order.shipment.status == "in_transit":
                return order
    pytest.fail("no order in transit in the e2e store")


def conversations(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            return c.execute(text("SELECT count(*) FROM conversations")).scalar_one()
    finally:
        engine.dispose()


def widget_token(page) -> tuple[str, str]:
    """(conversation id, token) the widget keeps in the store page's sessionStorage."""
    stored = page.evaluate(
        "Object.keys(sessionStorage).filter(k => k.startsWith('kefu:')).map(k => sessionStorage.getItem(k))"
    )
    assert len(stored) == 1, stored
    data = json.loads(stored[0])
    return data["id"], data["token"]


def open_widget(page) -> None:
    from playwright.sync_api import expect

    page.get_by_test_id("kefu-launcher").click()
    expect(page.get_by_test_id("kefu-panel")).to_be_visible()


def test_a_store_page_on_an_allowed_origin_chats_and_resumes(browser, stores, kefu, e2e_env) -> None:
    from playwright.sync_api import expect

    base, _ = kefu
    store = stores[0]
    order = in_transit(e2e_env["KEFU_DATABASE_URL"])
    store.pages["/shop"] = shop_page(base, order.customer_id)
    shop = Page(browser, store.origin)
    try:
        page = shop.page
        page.add_init_script(WATCH_SOCKETS)
        page.goto(f"{store.origin}/shop")
        assert page.evaluate("location.origin") == store.origin != base
        open_widget(page)
        page.wait_for_function("window.Kefu.info() && window.Kefu.info().transport === 'websocket'")

        def order_with_status(m) -> bool:
            card = m.locator(f'.kefu-card[data-card-type="order"][data-id="{order.order_id}"]')
            return card.count() > 0 and any(w in m.inner_text().lower() for w in EN_STATUS_WORDS)

        reply = ask(shop, f"Where is my order {order.order_id}?", order_with_status, f"the card of {order.order_id}")
        pill = reply.locator(f'.kefu-card[data-id="{order.order_id}"] .kefu-pill[data-status]')
        expect(pill).to_have_attribute("data-status", order.status)  # the order's real status, from the store's data

        urls = page.evaluate("window.__sockets.map(s => s.url)")
        assert urls and all("token" not in u for u in urls), urls
        first = json.loads(page.evaluate("window.__sockets[0].sent[0]"))
        assert first["type"] == "auth" and first["token"]

        # The socket drops; the reconnect is held before it authenticates while a message is said elsewhere
        # (another tab, over REST). Once it authenticates, the widget resumes and shows what it missed.
        cid, token = widget_token(page)
        last_seq = page.evaluate("window.Kefu.info().lastSeq")
        bots = page.locator(BOT_MSGS).count()
        page.evaluate("window.__hold = true; window.__sockets[window.__sockets.length - 1].close()")
        page.wait_for_function("window.__sockets.length === 2 && window.__sockets[1].readyState === 1")
        said = "What is your return policy?"
        r = httpx.post(f"{base}/api/conversations/{cid}/messages", json={"text": said},
                       headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_S)
        assert r.status_code == 200, r.text
        page.evaluate("window.__release()")
        expect(page.locator(USER_MSGS).last.locator(".kefu-text")).to_have_text(said)
        expect(page.locator(BOT_MSGS)).to_have_count(bots + 1)
        sent = [json.loads(f) for f in page.evaluate("window.__sockets[1].sent")]
        assert sent[0] == {"type": "auth", "token": token}
        assert sent[1] == {"type": "resume", "after": last_seq}
        expect(page.locator(f'{MESSAGES} .kefu-msg[data-kind="error"]')).to_have_count(0)
        assert_clean(shop)
    finally:
        shop.close()


def test_a_page_on_another_origin_gets_no_conversation(browser, stores, kefu, e2e_env) -> None:
    from playwright.sync_api import expect

    base, _ = kefu
    allowed, foreign = stores
    db_url = e2e_env["KEFU_DATABASE_URL"]
    foreign.pages["/shop"] = shop_page(base, "C00021")
    before = conversations(db_url)
    page_of = Page(browser, foreign.origin)
    try:
        page = page_of.page
        page.goto(f"{foreign.origin}/shop")
        open_widget(page)
        expect(page.locator(f'{MESSAGES} .kefu-msg[data-kind="error"]').first).to_be_visible()
        assert page.evaluate("window.Kefu.info().conversationId") is None
        assert conversations(db_url) == before  # the browser never sent the POST

        # Nor can that page use a conversation it got hold of: its socket is refused before authenticating.
        r = httpx.post(f"{base}/api/conversations", json={"channel": "web", "language": "en"})
        cid, token = r.json()["conversation_id"], r.json()["token"]
        ws_url = f"{base.replace('http', 'ws', 1)}/ws/chat/{cid}"
        refused = page.evaluate(TRY_SOCKET, [ws_url, token])
        assert refused["code"] == 4403 and [f["code"] for f in refused["frames"]] == ["bad_origin"]
    finally:
        page_of.close()

    allowed.pages["/probe"] = '<!doctype html><title>probe</title><link rel="icon" href="data:,">'
    page_of = Page(browser, allowed.origin)
    try:  # the same socket from the allowed store's page is served
        page_of.page.goto(f"{allowed.origin}/probe")
        served = page_of.page.evaluate(TRY_SOCKET, [ws_url, token])
        assert served["frames"] == [{"type": "ready", "conversation_id": cid}]
    finally:
        page_of.close()


def test_no_token_reaches_the_server_log(kefu) -> None:
    base, log_path = kefu
    r = httpx.post(f"{base}/api/conversations", json={"channel": "web", "language": "en"})
    cid, token = r.json()["conversation_id"], r.json()["token"]
    ws_base = base.replace("http", "ws", 1)
    with connect(f"{ws_base}/ws/chat/{cid}?token={token}") as ws:  # an old client: refused, and logged masked
        assert json.loads(ws.recv(timeout=TIMEOUT_S))["code"] == "token_in_url"
    with connect(f"{ws_base}/ws/chat/{cid}") as ws:
        assert authenticate(ws, token)["type"] == "ready"
    httpx.get(f"{base}/api/conversations/{cid}/events", headers={"Authorization": f"Bearer {token}"})
    log = log_path.read_text()
    assert f"/ws/chat/{cid}?token=<token>" in log  # the request line was logged, with the token masked
    assert token not in log
