"""The wired runtime on a real database (SQLite and PostgreSQL): replay equals live state."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.demo.build import build_demo_store
from server.runtime import Runtime, build_runtime
from server.settings import Settings
from tests.conftest import DEMO_AS_OF
from tests.fakes import KeywordRetriever

pytestmark = pytest.mark.integration

NOW = datetime(DEMO_AS_OF.year, DEMO_AS_OF.month, DEMO_AS_OF.day, 9, 0, tzinfo=UTC)


@pytest.fixture
def runtime(db_url: str) -> Runtime:
    build_demo_store(db_url, seed=7, as_of=DEMO_AS_OF, customers=40, orders=300)
    rt = build_runtime(Settings(database_url=db_url), clock=lambda: NOW, retriever=KeywordRetriever(), warm=False)
    yield rt
    rt.close()


async def test_state_rebuilt_from_sql_log_equals_live_state(runtime: Runtime) -> None:
    orders = runtime.customers.list_demo(1)[0]["orders"]
    cid, _ = runtime.conversations.create(channel="web", customer_id="C00001")
    await runtime.agent.start(cid, channel="web", customer_id="C00001", language=None)
    live = None
    for text in ["你好", "我的快递到哪了", orders[0]["order_id"], f"我要退货，订单{orders[1]['order_id']}，不想要了",
                 "我想买手机壳", "退货政策是什么？", "太差了！！气死我了", "垃圾服务！！还不解决！！", "谢谢"]:
        live = (await runtime.agent.handle(cid, text)).state
    assert live is not None and live.handoff == "queued" and live.turn == 9
    rebuilt = await runtime.agent.rebuild(cid)
    assert rebuilt.snapshot() == live.snapshot()
    events = await runtime.agent.store.load(cid)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


async def test_return_inside_window_persisted_outside_refused(runtime: Runtime) -> None:
    from server.db.orders import SqlOrderRepository

    repo = SqlOrderRepository(runtime.sessions)

    def delivered_days_ago(days: int) -> str:
        return next(o.order_id for o in repo.list_orders("C00001", limit=20)
                    if o.shipment and o.shipment.delivered_at
                    and (DEMO_AS_OF - o.shipment.delivered_at.date()).days == days)

    recent, old = delivered_days_ago(2), delivered_days_ago(30)
    cid, _ = runtime.conversations.create(channel="api", customer_id="C00001")
    await runtime.agent.start(cid, channel="api", customer_id="C00001", language="en")

    reply = (await runtime.agent.handle(cid, f"I want to return order {old}, changed my mind")).reply
    assert repo.get_order(old).returns == []  # type: ignore[union-attr]
    assert "30 days ago" in reply.text

    reply = (await runtime.agent.handle(cid, f"I want to return order {recent}, changed my mind")).reply
    assert repo.get_order(recent).returns == [] and recent in reply.text  # type: ignore[union-attr]
    reply = (await runtime.agent.handle(cid, "yes")).reply
    created = repo.get_order(recent).returns  # type: ignore[union-attr]
    assert len(created) == 1 and created[0].status == "requested" and created[0].kind == "no_reason"
    assert created[0].return_id in reply.text
