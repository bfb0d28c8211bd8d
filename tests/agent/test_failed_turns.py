"""Every turn is answered: a turn that fails inside gets a recorded apology in the customer's language, the same
message sent again runs again, and a call with side effects (a return, a coupon) happens once however the turn
failed around it."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pytest

from agent.events import BotUttered, CouponIssued, Event, ToolCalled, TurnFailed, UserUttered
from agent.pipeline import TurnInput, UnrecordedTurn
from tests.fakes import MemoryEventStore, MemoryOrders, make_agent
from tests.fakes.commerce import MemoryCatalog
from tests.fakes.offers import MemoryCampaigns
from tools.commerce.orders import OrderStatusTool
from tools.commerce.products import ProductSearchTool
from tools.commerce.returns import ReturnRequested, ReturnRequestTool
from tools.marketing.claim_tool import ClaimCouponTool

pytestmark = pytest.mark.unit

APOLOGY = {"zh": "抱歉，刚才处理您的消息时我们这边出了点问题", "en": "Sorry, something went wrong on our side"}


class FlakyOrders(MemoryOrders):
    """Orders whose lookups raise (a bug, a dropped connection) while `failing` is above zero."""

    def __init__(self) -> None:
        super().__init__()
        self.failing = 0

    def get_order(self, order_id: str):  # type: ignore[no-untyped-def]
        if self.failing:
            self.failing -= 1
            raise RuntimeError("the order database went away")
        return super().get_order(order_id)


class CrashAfterFiling(MemoryOrders):
    """Files the return, then raises once: the side effect happened and the turn did not get to record it."""

    def __init__(self) -> None:
        super().__init__()
        self.crash = True
        self.calls = 0

    def create_return(self, **kw):  # type: ignore[no-untyped-def]
        self.calls += 1
        filed = super().create_return(**kw)
        if self.crash:
            self.crash = False
            raise ConnectionError("lost the connection after the commit")
        return filed


class FailingStore(MemoryEventStore):
    """An event store whose append fails once for a batch holding an event of `kind` (or every append while
    `down`)."""

    def __init__(self, kind: type[Event] | None = None) -> None:
        super().__init__()
        self.kind, self.down = kind, False

    async def append(self, conversation_id: str, events: Sequence[Event]) -> list[Event]:
        if self.down or (self.kind is not None and any(isinstance(e, self.kind) for e in events)):
            self.kind = None
            raise OSError("database connection lost")
        return await super().append(conversation_id, events)


def of(events: list[Event], kind: type) -> list:
    return [e for e in events if isinstance(e, kind)]


@pytest.mark.parametrize(("language", "ask", "answer"), [
    ("zh", "我的订单KF10000001到哪了？", "KF10000001"),
    ("en", "Where is my order KF10000001?", "KF10000001"),
])
async def test_a_tool_that_raises_gets_an_apology_and_the_retry_runs_again(language, ask, answer) -> None:
    orders, store = FlakyOrders(), MemoryEventStore()
    agent = make_agent(store=store, tools=[OrderStatusTool(orders), ProductSearchTool(MemoryCatalog())])
    await agent.start("c", channel="web", customer_id="C1", language=None)
    orders.failing = 1
    failed = await agent.handle("c", TurnInput(ask, client_msg_id="m1"))
    assert failed.failed and not failed.duplicate
    assert failed.reply.text.startswith(APOLOGY[language]), failed.reply.text
    said = of(store.logs["c"], BotUttered)
    assert [b.text for b in said] == [failed.reply.text] and said[0].fallback == "turn_failed"  # recorded
    assert [(t.client_msg_id, t.error) for t in of(store.logs["c"], TurnFailed)] == [("m1", "RuntimeError")]

    again = await agent.handle("c", TurnInput(ask, client_msg_id="m1"))  # the widget sends it again
    assert not again.duplicate and not again.failed
    assert answer in again.reply.text and not again.reply.text.startswith(APOLOGY[language])
    assert len(of(store.logs["c"], UserUttered)) == 1  # the message is in the log once

    third = await agent.handle("c", TurnInput(ask, client_msg_id="m1"))  # answered now: a duplicate
    assert third.duplicate and len(of(store.logs["c"], BotUttered)) == 2
    rebuilt = await agent.rebuild("c")  # a fresh worker reads the same from the log
    assert rebuilt.open_turn is not None and rebuilt.open_turn["answered"]


async def test_a_failure_before_the_words_were_recorded_records_them_with_the_apology() -> None:
    class Blind:
        def parse(self, text: str):  # type: ignore[no-untyped-def]
            raise ValueError("the intent model is broken")

    store = MemoryEventStore()
    agent = make_agent(store=store, nlu=Blind())
    await agent.start("c", channel="web", customer_id="C1", language="en")
    failed = await agent.handle("c", TurnInput("hello there", client_msg_id="m1"))
    assert failed.failed and failed.reply.text.startswith(APOLOGY["en"])
    assert [u.text for u in of(store.logs["c"], UserUttered)] == ["hello there"]  # the message is not lost


async def test_when_the_store_is_down_the_apology_still_reaches_the_channel() -> None:
    store = FailingStore()
    agent = make_agent(store=store)
    await agent.start("c", channel="web", customer_id="C1", language="zh")
    store.down = True
    with pytest.raises(UnrecordedTurn) as caught:
        await agent.handle("c", TurnInput("我的订单KF10000001到哪了？", client_msg_id="m1"))
    assert caught.value.apology.startswith(APOLOGY["zh"]) and caught.value.language == "zh"
    store.down = False  # back: the retry runs as a new turn
    again = await agent.handle("c", TurnInput("我的订单KF10000001到哪了？", client_msg_id="m1"))
    assert "KF10000001" in again.reply.text and len(of(store.logs["c"], UserUttered)) == 1


@pytest.mark.parametrize("crash", ["inside_the_tool", "recording_the_outcome"])
@pytest.mark.parametrize(("ask", "yes", "filed"), [
    ("我要退货，订单KF10000001，不想要了", "确认提交", "退货单号"),
    ("I want to return order KF10000001, I changed my mind", "Yes, submit it", "Your return request R00000001"),
])
async def test_a_return_filed_by_a_crashed_turn_is_neither_lost_nor_filed_twice(crash, ask, yes, filed) -> None:
    orders = CrashAfterFiling()
    orders.crash = crash == "inside_the_tool"
    store = FailingStore(ReturnRequested if crash == "recording_the_outcome" else None)
    agent = make_agent(store=store, tools=[OrderStatusTool(orders), ReturnRequestTool(orders)])
    await agent.start("c", channel="web", customer_id="C1", language=None)
    await agent.handle("c", TurnInput(ask, client_msg_id="m1"))  # the return is stated; nothing filed
    assert not orders.returns

    failed = await agent.handle("c", TurnInput(yes, client_msg_id="m2"))
    assert failed.failed and len(orders.returns) == 1  # filed, and the turn failed after it
    written_ahead = [c for c in of(store.logs["c"], ToolCalled) if c.tool == "request_return"]
    assert len(written_ahead) == 1 and written_ahead[0].key  # recorded before it ran
    assert not of(store.logs["c"], ReturnRequested)

    again = await agent.handle("c", TurnInput(yes, client_msg_id="m2"))  # the widget's retry
    assert not again.failed and filed in again.reply.text, again.reply.text
    assert len(orders.returns) == 1 and orders.calls == 1  # found under its key, not filed again
    recorded = of(store.logs["c"], ReturnRequested)
    assert [r.return_id for r in recorded] == [orders.returns[0].return_id]  # in the log exactly once
    assert len(of(store.logs["c"], UserUttered)) == 2
    assert (await agent.handle("c", TurnInput(yes, client_msg_id="m2"))).duplicate
    assert len(orders.returns) == 1


@pytest.mark.parametrize(("text", "done"), [("领取年终好券", "已为您领取「年终好券」"),
                                            ("Claim the Year-end coupon", "Done: “Year-end coupon” is yours")])
async def test_a_coupon_issued_by_a_crashed_turn_is_recorded_once_and_issued_once(text: str, done: str) -> None:
    campaigns, store = MemoryCampaigns(), FailingStore(CouponIssued)
    agent = make_agent(store=store, tools=[ClaimCouponTool(campaigns, store)])
    await agent.start("c", channel="web", customer_id="C2", language=None)
    failed = await agent.handle("c", TurnInput(text, client_msg_id="m1"))
    assert failed.failed and len(campaigns.issued) == 1  # issued, never recorded
    assert not of(store.logs["c"], CouponIssued)

    again = await agent.handle("c", TurnInput(text, client_msg_id="m1"))
    assert again.reply.text.startswith(done), again.reply.text
    assert again.reply.cards[0]["code"] == "CPTEST0001"
    assert len(campaigns.issued) == 1 and campaigns.rows["year_coupon"]["spent"] == Decimal("30")
    assert [c.code for c in of(store.logs["c"], CouponIssued)] == ["CPTEST0001"]


async def test_a_reply_recorded_but_not_pushed_is_no_failed_turn() -> None:
    """Publishing is a courier: the events are stored, so the turn stands (the widget's `resume` brings them)."""
    async def broken_push(cid: str, events: list[Event], state: object) -> None:
        raise ConnectionError("pub/sub is down")

    store = MemoryEventStore()
    agent = make_agent(store=store, on_events=broken_push)
    await agent.start("c", channel="web", customer_id="C1", language="en")
    result = await agent.handle("c", TurnInput("Where is my order KF10000001?", client_msg_id="m1"))
    assert not result.failed and "KF10000001" in result.reply.text
    assert not of(store.logs["c"], TurnFailed) and len(of(store.logs["c"], BotUttered)) == 1
