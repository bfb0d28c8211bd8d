"""The production shape for real: two server processes sharing one PostgreSQL database and one Redis.

A burst of messages to one conversation split across both workers leaves a gap-free log in which every
customer message is followed by its own reply (turns never interleave); a customer on worker A and an
operator on worker B go through queue → takeover → talk → hand back → resolve → CSAT, over raw sockets and
then for real: the widget page in Chromium on A, the operator console in Chromium on B (the acceptance
test of issue 5, which writes var/screenshots/console-takeover.png and widget-takeover.png); and two
operators pressing "take over" at once on the two workers get one takeover and one 409.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
from websockets.sync.client import connect

from tests.e2e.browser import chromium
from tests.e2e.conftest import start_server, stop_server, wait_ready
from tests.e2e.store_pages import StorePages, shop_page, store_pages
from tests.e2e.test_console import PASSWORD, TIMEOUT, customer_says, ensure_operator, until
from tests.e2e.test_console_browser import SCREENSHOTS, Tab, widget_say
from tests.services import fresh_pg_database, redis_url, signed
from tests.sockets import live_chat_socket, send

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
OPERATOR = "e2e-multi"
RIVAL = "e2e-multi-rival"
DISPLAY_NAME = "王芳"


@pytest.fixture(scope="module")
def store() -> Iterator[StorePages]:
    """The store's own web server, whose pages embed the widget for their signed-in customer."""
    with store_pages() as server:
        yield server


@pytest.fixture(scope="module")
def workers(
    e2e_env: dict[str, str], store: StorePages, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """Two workers (A, B) on a fresh PostgreSQL database with a small demo store, and Redis."""
    from server.demo.build import build_demo_store

    redis = redis_url()
    with fresh_pg_database() as url:
        build_demo_store(url, seed=7, as_of=datetime.now(UTC).date(), customers=40, orders=300)
        ensure_operator(url, OPERATOR, name=DISPLAY_NAME)
        ensure_operator(url, RIVAL, name="李雷")
        env = {
            **e2e_env,
            "KEFU_DATABASE_URL": url,
            "KEFU_REDIS_URL": redis,
            "KEFU_LLM": "none",
            "KEFU_DEMO": "0",  # refused on PostgreSQL: the customer comes from a signed store page instead
            "KEFU_HTTP_ALLOWED_ORIGINS": store.origin,
            "KEFU_REDIS_PREFIX": (prefix := f"kefu-test-{uuid.uuid4().hex[:8]}:"),
        }
        logs = tmp_path_factory.mktemp("kefu-workers")
        started = [start_server(env, logs / f"worker-{name}.log") for name in "ab"]
        try:
            for (proc, base), name in zip(started, "ab", strict=True):
                wait_ready(proc, base, logs / f"worker-{name}.log")
            yield started[0][1], started[1][1]
        finally:
            for proc, _ in started:
                stop_server(proc)
            drop_keys(redis, prefix)  # live signals and pooled bandit statistics the workers wrote


def drop_keys(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


QUESTIONS = [
    "有手机壳吗",
    "退货政策是什么？",
    "有蓝牙耳机吗",
    "运费怎么算？",
    "do you have phone cases?",
    "what is your return policy?",
    "有充电宝吗",
    "how long does delivery take?",
]


def test_a_burst_across_two_workers_leaves_one_ordered_log(workers: tuple[str, str]) -> None:
    a, b = workers
    r = httpx.post(f"{a}/api/conversations", json={"channel": "api", **signed("C00003"), "language": None})
    assert r.status_code == 201, r.text
    cid, token = r.json()["conversation_id"], r.json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    texts = [f"{QUESTIONS[i % len(QUESTIONS)]} ({i})" for i in range(16)]

    def send(i: int) -> tuple[str, str]:
        base = (a, b)[i % 2]
        resp = httpx.post(
            f"{base}/api/conversations/{cid}/messages",
            headers=auth,
            timeout=60,
            json={"text": texts[i], "client_msg_id": f"m{i}"},
        )
        assert resp.status_code == 200, resp.text
        return texts[i], resp.json()["reply"]["text"]

    with ThreadPoolExecutor(8) as pool:
        replies = dict(pool.map(send, range(len(texts))))

    events = httpx.get(f"{b}/api/conversations/{cid}/events", headers=auth).json()["events"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert len({e["id"] for e in events}) == len(events)
    said = [e for e in events if e["type"] in ("user_uttered", "bot_uttered")]
    kinds = [e["type"] for e in said]
    assert kinds == ["user_uttered", "bot_uttered"] * len(texts), kinds  # no turn interleaved with another
    pairs = list(zip(said[::2], said[1::2], strict=True))
    assert sorted(u["payload"]["text"] for u, _ in pairs) == sorted(texts)
    for user, bot in pairs:  # each reply in the log is the one its own request got back
        assert bot["payload"]["text"] == replies[user["payload"]["text"]]


def test_an_interaction_on_one_worker_changes_the_list_the_other_serves(workers: tuple[str, str]) -> None:
    """The in-session signal lives in the shared event log, not in a worker's memory."""
    a, b = workers

    def recommend(base: str, cid: str, auth: dict[str, str]) -> list[str]:
        resp = httpx.post(f"{base}/api/conversations/{cid}/messages", headers=auth, timeout=60,
                          json={"text": "recommend a phone case"})
        assert resp.status_code == 200, resp.text
        return [c["id"] for c in resp.json()["reply"]["cards"]]

    # a phone owner with at least three cases that fit their phones (the demo store is dated today, so who that
    # is varies): one is viewed and one put in the cart, and there is still something to show
    for n in range(1, 41):
        r = httpx.post(f"{a}/api/conversations", json={"channel": "api", **signed(f"C{n:05d}"), "language": "en"})
        cid, auth = r.json()["conversation_id"], {"Authorization": f"Bearer {r.json()['token']}"}
        first = recommend(a, cid, auth)
        if len(first) >= 3:
            break
    assert len(first) >= 3, "no demo customer has three phone cases to be recommended"
    for kind, product in (("viewed", first[0]), ("added_to_cart", first[1])):
        done = httpx.post(f"{b}/api/conversations/{cid}/interactions", headers=auth,
                          json={"kind": kind, "product_id": product})
        assert done.status_code == 201, done.text
    again = recommend(a, cid, auth)
    assert again and again != first and first[1] not in again


def test_customer_on_one_worker_operator_on_the_other(workers: tuple[str, str]) -> None:
    a, b = workers
    ws_a, ws_b = a.replace("http", "ws", 1), b.replace("http", "ws", 1)
    r = httpx.post(f"{a}/api/conversations", json={"channel": "web", **signed("C00010"), "language": "zh"})
    cid, token = r.json()["conversation_id"], r.json()["token"]

    with (
        live_chat_socket(ws_a, cid, token) as customer,
        httpx.Client(base_url=b, timeout=TIMEOUT, headers={"Origin": b}) as op,  # cookie + Origin, as the page
    ):
        r = op.post("/api/operator/login", json={"username": OPERATOR, "password": PASSWORD})
        assert r.status_code == 200, r.text
        with connect(f"{ws_b}/ws/operator") as console:
            send(console, {"type": "auth", "token": r.json()["token"]})
            until(console, lambda f: f["type"] == "hello", "hello")
            console.send(json.dumps({"type": "open", "conversation_id": cid}))

            # queue: the customer's request on A shows up in B's console
            frames = customer_says(customer, "转人工")
            assert any(f["type"] == "handoff" and f["status"] == "queued" for f in frames)
            until(
                console,
                lambda f: (
                    f["type"] == "conversation"
                    and f["conversation"]["id"] == cid
                    and f["conversation"]["handoff"] == "queued"
                ),
                "the queued conversation on worker B",
            )
            queue = op.get("/api/operator/conversations", params={"handoff": "queued"}).json()["conversations"]
            assert any(x["id"] == cid for x in queue)

            # takeover on B reaches the customer's socket on A
            assert op.post(f"/api/operator/conversations/{cid}/takeover").json()["taken_over"] is True
            until(customer, lambda f: f["type"] == "handoff" and f["status"] == "operator", "handoff to operator")

            # typing both ways, across workers
            customer.send(json.dumps({"type": "typing", "on": True}))
            until(
                console,
                lambda f: f["type"] == "typing" and f.get("conversation_id") == cid and f["on"],
                "customer typing",
            )
            console.send(json.dumps({"type": "typing", "conversation_id": cid, "on": True}))
            until(customer, lambda f: f == {"type": "typing", "who": "operator", "on": True}, "operator typing")

            # operator (B) → customer (A)
            sent = op.post(f"/api/operator/conversations/{cid}/messages", json={"text": "您好，我是客服小李"})
            assert sent.status_code == 201, sent.text
            frame = until(customer, lambda f: f["type"] == "operator_message", "operator message")[-1]
            assert frame["text"] == "您好，我是客服小李" and frame["seq"] == sent.json()["event"]["seq"]

            # customer (A) → operator (B); the bot stays silent while held
            frames = customer_says(customer, "我的快递三天没动了")
            op.post(f"/api/operator/conversations/{cid}/messages", json={"text": "我帮您查一下"})
            frames += until(customer, lambda f: f["type"] == "operator_message", "second operator message")
            assert not any(f["type"] == "bot_message" for f in frames)
            events = until(
                console,
                lambda f: f["type"] == "events" and any(e["type"] == "user_uttered" for e in f["events"]),
                "customer event",
            )[-1]
            assert any(e["payload"].get("text") == "我的快递三天没动了" for e in events["events"])

            # hand back on B: the bot on A answers again
            assert op.post(f"/api/operator/conversations/{cid}/handback").status_code == 200
            until(customer, lambda f: f["type"] == "handoff" and f["status"] == "bot", "handoff to bot")
            frames = customer_says(customer, "有手机壳吗")  # the answer may come before or after typing stops
            if not any(f["type"] == "bot_message" for f in frames):
                frames += until(customer, lambda f: f["type"] == "bot_message", "the bot's answer")
            answer = next(f for f in frames if f["type"] == "bot_message")
            assert answer["text"] and answer["state"]["handoff"] == "bot"

            # resolve on B → CSAT request on A → rating recorded, seen on B
            assert op.post(f"/api/operator/conversations/{cid}/resolve").json()["csat_requested"] is True
            until(customer, lambda f: f["type"] == "csat_request", "csat request")
            customer.send(json.dumps({"type": "csat", "score": 5}))
            assert until(customer, lambda f: f["type"] == "csat_recorded", "csat recorded")[-1]["score"] == 5
            until(
                console,
                lambda f: (
                    f["type"] == "conversation" and f["conversation"]["id"] == cid and f["conversation"]["csat"] == 5
                ),
                "csat in B's list",
            )

        detail = op.get(f"/api/operator/conversations/{cid}").json()
        types = [e["type"] for e in detail["events"]]
        assert [e["seq"] for e in detail["events"]] == list(range(1, len(types) + 1))
        joined, back = types.index("operator_joined"), types.index("handed_back")
        assert "bot_uttered" not in types[joined:back] and "bot_uttered" in types[back:]
        assert types[-1] == "csat_given" and detail["conversation"]["csat"] == 5


def test_two_operators_on_two_workers_press_take_over_at_once(workers: tuple[str, str]) -> None:
    """The claim is one conditional UPDATE in PostgreSQL: exactly one takeover, the other operator gets 409."""
    a, b = workers
    for attempt in range(3):
        r = httpx.post(f"{a}/api/conversations", json={"channel": "web", **signed("C00012"), "language": "zh"})
        cid, token = r.json()["conversation_id"], r.json()["token"]
        httpx.post(
            f"{a}/api/conversations/{cid}/messages",
            json={"text": "转人工"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT,
        )
        tokens = {}
        for base, name in ((a, OPERATOR), (b, RIVAL)):
            login = httpx.post(f"{base}/api/operator/login", json={"username": name, "password": PASSWORD})
            tokens[name] = login.json()["token"]
        start = threading.Barrier(2)

        def take(
            base: str, name: str, cid: str = cid, start: threading.Barrier = start, tokens: dict = tokens
        ) -> httpx.Response:
            start.wait()
            return httpx.post(
                f"{base}/api/operator/conversations/{cid}/takeover",
                timeout=TIMEOUT,
                headers={"Authorization": f"Bearer {tokens[name]}"},
            )

        with ThreadPoolExecutor(2) as pool:
            first, second = pool.map(take, (a, b), (OPERATOR, RIVAL))
        codes = sorted([first.status_code, second.status_code])
        assert codes == [200, 409], (attempt, first.text, second.text)
        winner, loser = (first, second) if first.status_code == 200 else (second, first)
        winner_name = OPERATOR if winner is first else RIVAL
        assert winner.json()["taken_over"] is True and winner.json()["conversation"]["operator"] == winner_name
        assert loser.json()["error"]["code"] == "held_by_other" and winner_name in loser.json()["error"]["message"]
        events = httpx.get(f"{b}/api/conversations/{cid}/events", headers={"Authorization": f"Bearer {token}"})
        assert [e["type"] for e in events.json()["events"]].count("operator_joined") == 1


def test_console_in_chromium_on_b_widget_in_chromium_on_a(workers: tuple[str, str], store: StorePages) -> None:
    """Issue 5's acceptance, in real browsers: the customer's widget page talks to worker A, the operator's console
    to worker B; takeover, messages both ways, the bot silent while held, hand back, the bot again, CSAT."""
    from playwright.sync_api import expect

    a, b = workers
    with chromium() as browser:
        customer, console = Tab(browser, 1280, 860), Tab(browser, 1440, 900)
        try:
            c, o = customer.page, console.page
            # --- the customer, on A, asks for a person ----------------------------------------------
            store.pages["/account"] = shop_page(a, "C00004", "zh", open_chat=True)
            c.goto(f"{store.origin}/account")
            expect(c.get_by_test_id("kefu-input")).to_be_visible()
            widget_say(c, "你好，我要转人工")
            expect(c.get_by_test_id("kefu-handoff")).to_have_attribute("data-status", "queued")
            cid = c.evaluate("() => window.Kefu.info().conversationId")
            assert cid

            # --- the operator, on B, signs in and takes over --------------------------------------------
            o.goto(f"{b}/console")
            o.get_by_test_id("login-username").fill(OPERATOR)
            o.get_by_test_id("login-password").fill(PASSWORD)
            o.get_by_test_id("login-submit").click()
            expect(o.get_by_test_id("operator-name")).to_have_text(DISPLAY_NAME)
            expect(o.get_by_test_id("connection")).to_have_attribute("data-state", "online")
            row = o.locator(f'[data-testid="queue-row"][data-conversation-id="{cid}"]')
            expect(row).to_have_attribute("data-handoff", "queued")
            row.click()
            timeline = o.get_by_test_id("timeline")
            expect(timeline.locator('[data-type="user_uttered"] [data-testid="timeline-text"]')).to_have_text(
                ["你好，我要转人工"]
            )
            o.get_by_test_id("takeover").click()
            expect(o.get_by_test_id("conv-chips").get_by_test_id("handoff-status")).to_have_attribute(
                "data-handoff", "operator"
            )

            # the widget on A says who joined: the display name, never the login
            banner = c.get_by_test_id("kefu-handoff")
            expect(banner).to_have_attribute("data-status", "operator")
            expect(banner).to_have_text(f"人工客服 {DISPLAY_NAME} 已接入，为您服务")
            expect(banner).to_have_attribute("data-operator", DISPLAY_NAME)

            # --- messages both ways ----------------------------------------------------------------------
            composer = o.get_by_test_id("composer")
            composer.fill("您好，我是王芳，请问有什么可以帮您？")
            o.get_by_test_id("send-message").click()
            expect(composer).to_have_value("")
            said = c.locator('.kefu-msg[data-role="operator"]').last
            expect(said.locator(".kefu-text")).to_have_text("您好，我是王芳，请问有什么可以帮您？")
            expect(said.locator(".kefu-sender")).to_have_text(f"人工客服 · {DISPLAY_NAME}")
            expect(said).to_have_attribute("data-operator", DISPLAY_NAME)

            bots_before = c.locator('.kefu-msg[data-role="bot"]').count()
            widget_say(c, "我的快递三天没动了，帮我查查")
            customer_line = timeline.locator('[data-type="user_uttered"] [data-testid="timeline-text"]').last
            expect(customer_line).to_have_text("我的快递三天没动了，帮我查查")
            expect(c.locator('.kefu-msg[data-role="user"][data-seq]').last).to_be_visible()
            composer.fill("好的，我帮您查一下物流")
            o.get_by_test_id("send-message").click()
            expect(c.locator('.kefu-msg[data-role="operator"] .kefu-text').last).to_have_text("好的，我帮您查一下物流")
            assert c.locator('.kefu-msg[data-role="bot"]').count() == bots_before  # the bot stayed silent
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            o.screenshot(path=str(SCREENSHOTS / "console-takeover.png"))
            c.screenshot(path=str(SCREENSHOTS / "widget-takeover.png"))

            # --- hand back: the bot answers again --------------------------------------------------------
            o.get_by_test_id("handback").click()
            expect(banner).to_have_attribute("data-status", "bot")
            expect(c.locator('.kefu-msg[data-kind="handoff"] .kefu-text').last).to_have_text(
                f"人工客服 {DISPLAY_NAME} 已离开，智能助手将继续为您服务"
            )
            widget_say(c, "有手机壳吗")
            expect(c.locator('.kefu-msg[data-role="bot"]')).to_have_count(bots_before + 1)
            expect(c.locator('.kefu-msg[data-role="bot"] .kefu-text').last).not_to_be_empty()
            expect(timeline.locator('[data-type="bot_uttered"]').last).to_be_visible()

            # --- resolve on B: the widget on A asks for CSAT, the rating lands in B's list ------------------
            o.get_by_test_id("resolve").click()
            csat = c.get_by_test_id("kefu-csat")
            expect(csat).to_be_visible()
            csat.locator('[data-score="5"]').click()
            expect(csat).to_have_attribute("data-done", "true")
            live = o.locator(f'[data-testid="conversation-row"][data-conversation-id="{cid}"]')
            expect(live).to_contain_text("5/5")

            assert customer.problems == [] and console.problems == [], customer.problems + console.problems
            assert customer.failed == []
        finally:
            customer.context.close()
            console.context.close()

    with httpx.Client(base_url=a, timeout=TIMEOUT) as op:
        login = op.post("/api/operator/login", json={"username": OPERATOR, "password": PASSWORD})
        detail = op.get(
            f"/api/operator/conversations/{cid}", headers={"Authorization": f"Bearer {login.json()['token']}"}
        ).json()
    types = [e["type"] for e in detail["events"]]
    assert [e["seq"] for e in detail["events"]] == list(range(1, len(types) + 1))
    joined, back = types.index("operator_joined"), types.index("handed_back")
    assert types[joined:back].count("operator_uttered") == 2 and "user_uttered" in types[joined:back]
    assert "bot_uttered" not in types[joined:back] and "bot_uttered" in types[back:]
    assert types[-1] == "csat_given" and detail["conversation"]["csat"] == 5
