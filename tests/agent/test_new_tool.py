"""A tool declares itself: registered from this file alone (its own arguments, intents, cue words, templates,
authorization and events), it runs zh and en conversations, LLM proposals and LLM wording included, and
nothing under `agent/` names it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, Field

from agent.affect import TextAffect
from agent.events import EVENT_TYPES, BotUttered, Event, ToolCalled, ToolProposalRefused, replay
from agent.nlg import LLMResponder, TemplateNLG
from agent.nlu import NLU
from agent.pipeline import Agent
from agent.proposals import ToolProposer
from agent.protocols import ChatMessage, LLMResponse, ToolCallProposal, ToolContext, ToolError, ToolResult
from agent.state import DialogueState
from agent.tooling import BaseTool
from tests.fakes import NOW, MemoryEventStore, MemoryOrders
from tools.commerce.orders import OrderStatusTool
from tools.commerce.returns import ReturnRequestTool

pytestmark = pytest.mark.unit


@dataclass(kw_only=True, slots=True)
class PointsCredited(Event):
    """The tool's own event: defined here, readable from a stored log like any other."""

    type: ClassVar[str] = "points_credited"
    customer_id: str
    points: int
    balance: int


@dataclass
class PointsLedger:
    balances: dict[str, int] = field(default_factory=lambda: {"C1": 100})
    checked_in: set[tuple[str, date]] = field(default_factory=set)


class DailyCheckInTool(BaseTool):
    """Daily check-in: 10 points once a day. It credits points, so it has side effects."""

    name = "daily_checkin"
    description = "Check the customer in for today and credit the daily loyalty points (once a day)."
    purpose: ClassVar[dict[str, str]] = {"zh": "每日签到领积分", "en": "do the daily check-in"}
    intents = ("daily_checkin",)
    side_effects = True
    cues: ClassVar[dict[str, list[str]]] = {"zh": ["签到"], "en": [r"\bcheck[- ]?in\b"]}
    templates: ClassVar[dict[str, dict[str, str]]] = {
        "zh": {
            "daily_checkin.done": "签到成功！获得{points}积分，当前共有{balance}积分。",
            "checkin_already": "您今天已经签到过了，当前共有{balance}积分，明天再来吧。",
            "checkin_login_required": "请先登录再签到。",
        },
        "en": {
            "daily_checkin.done": "Checked in! You earned {points} points and now have {balance}.",
            "checkin_already": "You've already checked in today; you have {balance} points. Come back tomorrow!",
            "checkin_login_required": "Please sign in to check in.",
        },
    }

    class Args(BaseModel):
        pass

    def __init__(self, ledger: PointsLedger) -> None:
        self.ledger = ledger

    async def authorize(self, args: BaseModel, ctx: ToolContext) -> None:
        if not ctx.customer_id:
            raise ToolError("checkin_login_required", "The customer is not signed in.")
        if (ctx.customer_id, ctx.now.date()) in self.ledger.checked_in:
            raise ToolError("checkin_already", "Already checked in today.",
                            balance=self.ledger.balances.get(ctx.customer_id, 0))

    async def __call__(self, args: BaseModel, ctx: ToolContext) -> ToolResult:
        assert ctx.customer_id
        self.ledger.checked_in.add((ctx.customer_id, ctx.now.date()))
        balance = self.ledger.balances[ctx.customer_id] = self.ledger.balances.get(ctx.customer_id, 0) + 10
        credited = PointsCredited(conversation_id=ctx.conversation_id, customer_id=ctx.customer_id, points=10,
                                  balance=balance)
        return ToolResult(data={"points": 10, "balance": balance}, events=[credited])


class GiftCardBalanceTool(BaseTool):
    """A read-only lookup with an argument the NLU has no slot for: only the LLM can fill it."""

    name = "gift_card_balance"
    description = "Look up the remaining balance of a gift card by its number (GC followed by 8 digits)."
    purpose: ClassVar[dict[str, str]] = {"zh": "查礼品卡余额", "en": "check a gift card balance"}
    intents = ("gift_card_balance",)
    cues: ClassVar[dict[str, list[str]]] = {"zh": ["礼品卡"], "en": [r"\bgift ?card\b"]}
    templates: ClassVar[dict[str, dict[str, str]]] = {
        "zh": {"gift_card_balance.done": "礼品卡 {card_no} 余额为 ¥{balance}。",
               "ask_card_no": "请告诉我礼品卡卡号（GC 开头加8位数字）。"},
        "en": {"gift_card_balance.done": "Gift card {card_no} has ¥{balance} left.",
               "ask_card_no": "What's the gift card number? It starts with GC followed by 8 digits."},
    }

    class Args(BaseModel):
        card_no: str = Field(pattern=r"^GC\d{8}$")

    async def __call__(self, args: BaseModel, ctx: ToolContext) -> ToolResult:
        assert isinstance(args, self.Args)
        return ToolResult(data={"card_no": args.card_no, "balance": "88.50"})


class ScriptedLLM:
    """Proposes the scripted calls round by round and streams the scripted wording; records what it saw."""

    name = "scripted"

    def __init__(self, rounds: Sequence[Sequence[ToolCallProposal]] = (), words: Sequence[str] = ()) -> None:
        self.rounds = [list(r) for r in rounds]
        self.words = list(words)
        self.offered: list[set[str]] = []
        self.routing: list[str] = []

    async def complete(self, messages: Sequence[ChatMessage], *, tools: Any = None, max_tokens: int = 256,
                       tool_choice: str | None = None) -> LLMResponse:
        self.offered.append({t["function"]["name"] for t in tools or ()})
        self.routing.append(messages[0].content)
        return LLMResponse("", self.rounds.pop(0) if self.rounds else [])

    async def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> AsyncIterator[str]:
        text = self.words.pop(0) if self.words else ""
        for i in range(0, len(text), 5):
            yield text[i : i + 5]


def make_agent(llm: ScriptedLLM | None = None, ledger: PointsLedger | None = None) -> tuple[Agent, PointsLedger]:
    ledger = ledger or PointsLedger()
    orders = MemoryOrders()
    tools = [OrderStatusTool(orders), ReturnRequestTool(orders), DailyCheckInTool(ledger), GiftCardBalanceTool()]
    agent = Agent(
        store=MemoryEventStore(),
        nlu=NLU(),
        affect=TextAffect(),
        nlg=TemplateNLG(),
        tools=tools,
        clock=lambda: NOW,
        proposer=ToolProposer(llm, tools) if llm else None,
        responder=LLMResponder(llm) if llm else None,
    )
    return agent, ledger


async def _say(agent: Agent, cid: str, text: str):
    result = await agent.handle(cid, text)
    bot = [e for e in result.events if isinstance(e, BotUttered)][-1]
    return result, bot


@pytest.mark.parametrize(
    ("language", "ask", "done", "already"),
    [
        ("zh", "帮我签到", "签到成功！获得10积分，当前共有110积分。", "您今天已经签到过了，当前共有110积分"),
        ("en", "daily check-in please", "Checked in! You earned 10 points and now have 110.",
         "You've already checked in today; you have 110 points."),
    ],
)
async def test_a_tool_from_this_file_serves_its_intent_with_its_own_templates_and_events(
    language: str, ask: str, done: str, already: str
) -> None:
    agent, ledger = make_agent()
    await agent.start("c", channel="web", customer_id="C1", language=language)
    result, bot = await _say(agent, "c", ask)
    assert result.state.intent == "daily_checkin"
    assert bot.text == done and bot.source == "template"
    calls = [e for e in result.events if isinstance(e, ToolCalled)]
    assert [(c.tool, c.proposed_by) for c in calls] == [("daily_checkin", "policy")]
    credited = [e for e in result.events if isinstance(e, PointsCredited)]
    assert [(e.points, e.balance) for e in credited] == [(10, 110)] and ledger.balances["C1"] == 110

    again, bot = await _say(agent, "c", ask)  # refused by its own authorize, explained by its own template
    assert already in bot.text and ledger.balances["C1"] == 110
    assert not [e for e in again.events if isinstance(e, PointsCredited)]

    # the tool's event is stored like any other: the log reads back and replays to the same state
    log = agent.store.logs["c"]  # type: ignore[attr-defined]
    assert EVENT_TYPES["points_credited"] is PointsCredited
    back = [Event.from_record(type=e.type, conversation_id=e.conversation_id, seq=e.seq, at=e.at, id=e.id,
                              payload=e.to_payload()) for e in log]
    assert [type(e) for e in back] == [type(e) for e in log]
    assert replay(back, DialogueState("c")).snapshot() == (await agent.rebuild("c")).snapshot()


async def test_an_anonymous_customer_is_refused_by_the_tools_authorize() -> None:
    agent, ledger = make_agent()
    await agent.start("c", channel="web", customer_id=None, language="zh")
    _result, bot = await _say(agent, "c", "帮我签到")
    assert bot.text == "请先登录再签到。" and ledger.balances == {"C1": 100}


@pytest.mark.parametrize(
    ("language", "text", "asked", "worded"),
    [
        ("zh", "我的礼品卡 GC12345678 还剩多少钱", "请告诉我礼品卡卡号", "您的礼品卡 GC12345678 还有 ¥88.50 可用。"),
        ("en", "what's the balance on gift card GC12345678?", "What's the gift card number?",
         "Your gift card GC12345678 still has ¥88.50 on it."),
    ],
)
async def test_the_llm_proposes_the_new_tool_fills_its_argument_and_words_its_result(
    language: str, text: str, asked: str, worded: str
) -> None:
    llm = ScriptedLLM(rounds=[[ToolCallProposal("gift_card_balance", {"card_no": "GC12345678"})]], words=[worded])
    agent, _ = make_agent(llm)
    await agent.start("c", channel="web", customer_id="C1", language=language)
    result, bot = await _say(agent, "c", text)
    # the rules know the intent (cue words) but have no slot for the card number: they ask, so the LLM is asked
    assert llm.offered[0] == {"order_status", "request_return", "daily_checkin", "gift_card_balance"}
    routing = llm.routing[0]
    assert "gift_card_balance" in routing and ("查礼品卡余额" in routing if language == "zh"
                                                 else "check a gift card balance" in routing)
    calls = [e for e in result.events if isinstance(e, ToolCalled)]
    assert [(c.tool, c.args, c.proposed_by) for c in calls] == [
        ("gift_card_balance", {"card_no": "GC12345678"}, "llm")
    ]
    assert bot.source == "llm" and bot.text == worded  # grounded: every figure is in the tool's data
    assert asked not in bot.text


async def test_a_worded_figure_the_tool_did_not_give_brings_its_template_back() -> None:
    llm = ScriptedLLM(rounds=[[ToolCallProposal("gift_card_balance", {"card_no": "GC12345678"})]],
                      words=["Gift card GC12345678 has ¥880.50 left."])
    agent, _ = make_agent(llm)
    await agent.start("c", channel="web", customer_id="C1", language="en")
    _, bot = await _say(agent, "c", "gift card GC12345678 balance?")
    assert bot.source == "template" and bot.fallback == "guard"
    assert bot.text == "Gift card GC12345678 has ¥88.50 left."


async def test_without_an_llm_the_tool_asks_for_its_argument_with_its_own_template() -> None:
    agent, _ = make_agent()
    await agent.start("c", channel="web", customer_id="C1", language="en")
    result, bot = await _say(agent, "c", "what's left on my gift card?")
    assert bot.text == "What's the gift card number? It starts with GC followed by 8 digits."
    assert result.state.requested == ("gift_card_balance", "card_no")


async def test_a_side_effect_the_customer_did_not_ask_for_is_refused_and_never_runs() -> None:
    llm = ScriptedLLM(rounds=[[ToolCallProposal("daily_checkin", {})], [ToolCallProposal("daily_checkin", {})]])
    agent, ledger = make_agent(llm)
    await agent.start("c", channel="web", customer_id="C1", language="zh")
    result, bot = await _say(agent, "c", "帮我看看礼品卡")  # about a gift card, not a check-in
    refused = [(e.tool, e.reason) for e in result.events if isinstance(e, ToolProposalRefused)]
    assert refused == [("daily_checkin", "not_requested")] * 2
    assert not [e for e in result.events if isinstance(e, ToolCalled) and e.tool == "daily_checkin"]
    assert ledger.balances["C1"] == 100
    assert bot.text == "请告诉我礼品卡卡号（GC 开头加8位数字）。"  # after two refusals the rules answer
