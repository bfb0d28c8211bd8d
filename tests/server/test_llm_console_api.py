"""Agent assist and campaign copy over HTTP, with the LLM a scripted OpenAI-compatible server: which path
answered is in the JSON, drafts are grounded on the conversation or the campaign record, roles are checked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from agent.llm import GuardedLLM, OpenAICompatibleLLM
from server.app import create_app
from server.db.orders import SqlOrderRepository
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever
from tests.fakes.openai_server import Reply, ScriptedOpenAIServer
from tests.server.console_support import login, register_accounts, small_store
from tests.services import TEST_IDENTITY_SECRET, signed

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return small_store(tmp_path_factory, "llm-console", customers=20, orders=120)


@pytest.fixture(scope="module")
def accounts(store_url: str) -> dict[str, str]:
    return register_accounts(store_url, {"operator": "Wang Fang", "marketer": "Chen Jie", "supervisor": "Zhao Min"})


@pytest.fixture
def server() -> Iterator[ScriptedOpenAIServer]:
    with ScriptedOpenAIServer(default=Reply(status=500)) as s:  # customer turns: template replies
        yield s


@pytest.fixture
def client(store_url: str, accounts: dict[str, str], server: ScriptedOpenAIServer) -> Iterator[TestClient]:
    settings = Settings(database_url=store_url, llm_tools="off", identity_secret=TEST_IDENTITY_SECRET)
    llm = GuardedLLM(OpenAICompatibleLLM(server.base_url, "fake", timeout=10), timeout_s=5)
    runtime = build_runtime(settings, retriever=KeywordRetriever(), llm=llm, warm=False)
    with TestClient(create_app(settings, runtime=runtime)) as c:
        yield c
    runtime.close()


def order_chat(client: TestClient, language: str) -> tuple[str, str]:
    """A conversation of C00001 asking about their latest order; (conversation id, order id)."""
    order = SqlOrderRepository(client.app.state.runtime.sessions).list_orders("C00001", limit=1)[0]
    r = client.post("/api/conversations", json={"channel": "web", **signed("C00001"), "language": language})
    cid, token = r.json()["conversation_id"], r.json()["token"]
    text = f"我的订单{order.order_id}到哪了？" if language == "zh" else f"Where is my order {order.order_id}?"
    r = client.post(
        f"/api/conversations/{cid}/messages", json={"text": text}, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200 and r.json()["reply"]["source"] == "template", r.text
    return cid, order.order_id


def test_operator_gets_llm_drafts_grounded_on_the_conversation(
    client: TestClient, accounts, server: ScriptedOpenAIServer
) -> None:
    op = login(client, accounts["operator"])
    cid, order_id = order_chat(client, "zh")
    server.push(
        Reply(
            text=f"1. 您好，我是王芳，订单{order_id}我已经帮您查到了。\n2. 请问还有什么可以帮您？\n"
            f"3. 订单{order_id}的物流一有更新我就通知您。"
        )
    )
    s = client.get(f"/api/operator/conversations/{cid}/suggestions", headers=op).json()
    assert s["source"] == "llm" and s["fallback"] is None and s["language"] == "zh"
    assert [x["source"] for x in s["suggestions"]] == ["llm"] * 3 and order_id in s["suggestions"][0]["text"]
    prompt = server.requests[-1]["messages"][-1]["content"]
    assert order_id in prompt and "Wang Fang" in prompt  # the conversation's facts and who is writing

    cid, _ = order_chat(client, "en")
    server.push(Reply(text="1. Your refund of ¥999.00 is on its way.\n2. It arrives on Dec 24.\n3. OK."))
    s = client.get(f"/api/operator/conversations/{cid}/suggestions", headers=op).json()
    assert s["source"] == "template" and s["fallback"] == "guard" and len(s["suggestions"]) == 3
    assert not any("999" in x["text"] for x in s["suggestions"]) and "Wang Fang" in s["suggestions"][0]["text"]


def test_marketer_gets_campaign_copy_checked_against_the_record(
    client: TestClient, accounts, server: ScriptedOpenAIServer
) -> None:
    marketer = login(client, accounts["marketer"])
    server.push(
        Reply(text="新人专享券来啦：领券满199元减20元，新朋友下单更划算！"),
        Reply(text="New here? Grab ¥50 off your first order!"),
    )  # the record says ¥20
    r = client.post("/api/operator/campaigns/new_customer/copy", headers=marketer)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["source"] == "mixed" and body["copy"]["zh"]["source"] == "llm"
    assert body["copy"]["zh"]["text"] == "新人专享券来啦：领券满199元减20元，新朋友下单更划算！"
    assert body["copy"]["en"]["source"] == "template" and body["copy"]["en"]["fallback"] == "guard"
    assert "¥20 off orders of ¥199" in body["copy"]["en"]["text"] and "50" not in body["copy"]["en"]["text"]
    assert "满199元减20元" in server.requests[-2]["messages"][-1]["content"]  # the record, as the model saw it

    supervisor = login(client, accounts["supervisor"])
    missing = client.post("/api/operator/campaigns/no_such_campaign/copy", headers=supervisor)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_campaign"
    operator = login(client, accounts["operator"])
    denied = client.post("/api/operator/campaigns/new_customer/copy", headers=operator)
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden_role"


def test_a_marketer_request_the_rules_miss_is_read_by_the_llm_and_only_proposed(
    client: TestClient, accounts, server: ScriptedOpenAIServer
) -> None:
    marketer = login(client, accounts["marketer"])
    server.push(Reply(text='{"act": "pause", "campaign": "winter_refresh"}'))
    r = client.post("/api/operator/marketing/ask", json={"text": "能不能让冬天那个先歇一歇"}, headers=marketer)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["act"], body["campaign_ids"], body["parsed_by"]) == ("pause", ["winter_refresh"], "llm")
    assert body["proposal"]["campaign_id"] == "winter_refresh" and body["answer"].startswith("确认暂停「冬季焕新季」")
    assert "winter_refresh: 冬季焕新季 / Winter refresh" in server.requests[-1]["messages"][0]["content"]
    campaign = client.get("/api/operator/campaigns/winter_refresh", headers=marketer).json()
    assert campaign["status"] == "active"  # nothing ran: it waits for confirmation
    assert [c["action"] for c in campaign["changes"]] == ["create"] and campaign["changes"][0]["actor"] == "demo-data"

    server.push(Reply(text='{"act": "end", "campaign": "no_such_campaign"}'))
    r = client.post("/api/operator/marketing/ask", json={"text": "让那个东西消失"}, headers=marketer).json()
    assert r["act"] == "end" and r["proposal"] is None and r["cards"][0]["choose"] == "end"  # asked which, not run
