"""Scripted conversation suites: YAML files of turns, each with what must hold after it.

A suite file is a list of conversations:

    - name: order status, then a correction
      language: zh                  # picks a zh showcase customer (C00001, C00003, …)
      turns:
        - user: "我的订单{transit}到哪了？"
          expect:
            intent: order_status     # agent-level intent after the turn
            slots: {order_id: "{transit}"}
            handoff: bot             # bot | queued | operator
            tool: {name: order_status, args: {order_id: "{transit}"}}
            reply_contains: ["{transit}"]       # every string must appear
            reply_contains_any: ["运输中", "派送中"]
            reply_excludes: ["{other_transit}"]
            cites: shipping          # the first citation's document
            cards: order             # at least one card of this type
            affect: anger | negative | neutral | positive | <label>
            return_created: true     # a return row was recorded this turn (false: none)

Placeholders name the customer's showcase orders: {transit} (in transit), {recent} (delivered two days
ago), {old} (delivered 30 days ago), and another customer's in-transit order {other_transit}.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from agent.events import ToolCalled
from agent.pipeline import TurnResult
from server.db.orders import SqlOrderRepository
from server.runtime import Runtime
from tools.commerce.ports import OrderView

SUITES_DIR = Path(__file__).parent / "suites"
POSITIVE, NEGATIVE = {"satisfaction"}, {"anger", "anxiety", "disappointment"}


class ToolExpectation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")
    intent: str | None = None
    slots: dict[str, Any] = Field(default_factory=dict)
    handoff: str | None = None
    tool: ToolExpectation | None = None
    no_tool: bool = False
    reply_contains: list[str] = Field(default_factory=list)
    reply_contains_any: list[str] = Field(default_factory=list)
    reply_excludes: list[str] = Field(default_factory=list)
    cites: str | None = None
    cards: str | None = None
    affect: str | None = None
    return_created: bool | None = None
    language: str | None = None


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: str
    expect: Expect = Field(default_factory=Expect)


class Conversation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    language: str = Field(pattern="^(zh|en)$")
    turns: list[Turn] = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)


@dataclass
class Outcome:
    suite: str
    name: str
    language: str
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def load_suites(paths: list[Path] | None = None) -> dict[str, list[Conversation]]:
    files: list[Path] = []
    for p in paths or [SUITES_DIR]:
        files += sorted(p.glob("*.yaml")) if p.is_dir() else [p]
    return {f.stem: [Conversation.model_validate(c) for c in yaml.safe_load(f.read_text(encoding="utf-8"))]
            for f in files}


class _Customers:
    """Hands out showcase customers round-robin per language, with their orders for placeholders."""

    def __init__(self, runtime: Runtime, now: datetime) -> None:
        self.repo = SqlOrderRepository(runtime.sessions)
        demo = runtime.customers.list_demo(20)
        self.pool = {lang: [c["customer_id"] for c in demo if c["language"] == lang] for lang in ("zh", "en")}
        self.next = {"zh": 0, "en": 0}
        self.spent: set[str] = set()  # customers a conversation filed a return for
        self.now = now

    def take(self, language: str) -> str:
        """The next customer, passing over those a conversation has filed a return for (their {recent} order
        has one now, and a second request would be refused) while others are left."""
        ids = self.pool[language]
        start = self.next[language]
        fresh = [ids[(start + i) % len(ids)] for i in range(len(ids)) if ids[(start + i) % len(ids)] not in self.spent]
        self.next[language] += 1
        return fresh[0] if fresh else ids[start % len(ids)]

    def placeholders(self, customer: str) -> dict[str, str]:
        orders = self.repo.list_orders(customer, limit=20)
        out: dict[str, str] = {}
        for o in orders:
            key = self._kind(o)
            if key and key not in out:
                out[key] = o.order_id
        other = next(c for c in self.pool["zh"] + self.pool["en"] if c != customer)
        out["other_transit"] = next(o.order_id for o in self.repo.list_orders(other, limit=20)
                                    if self._kind(o) == "transit")
        return out

    def _kind(self, o: OrderView) -> str | None:
        s = o.shipment
        if s and s.status == "in_transit":
            return "transit"
        if s and s.delivered_at:
            days = (self.now.date() - s.delivered_at.date()).days
            return {2: "recent", 30: "old"}.get(days)
        return None


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format_map(names)
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    return value


def check(expect: Expect, result: TurnResult, returns_before: int, returns_after: int) -> list[str]:
    """What does not hold after a turn, in words."""
    fails: list[str] = []
    state, reply = result.state, result.reply
    if expect.intent and state.intent != expect.intent:
        fails.append(f"intent {state.intent!r} != {expect.intent!r}")
    for name, value in expect.slots.items():
        if state.slot(name) != value:
            fails.append(f"slot {name}={state.slot(name)!r} != {value!r}")
    if expect.handoff and state.handoff != expect.handoff:
        fails.append(f"handoff {state.handoff!r} != {expect.handoff!r}")
    calls = [e for e in result.events if isinstance(e, ToolCalled)]
    wanted = expect.tool
    if wanted and not any(
        c.tool == wanted.name and all(c.args.get(k) == v for k, v in wanted.args.items()) for c in calls
    ):
        fails.append(f"no call {wanted.name}({wanted.args}); calls: {[(c.tool, c.args) for c in calls]}")
    if expect.no_tool and calls:
        fails.append(f"unexpected tool calls {[c.tool for c in calls]}")
    text = reply.text.lower()
    fails += [f"reply lacks {s!r}" for s in expect.reply_contains if s.lower() not in text]
    if expect.reply_contains_any and not any(s.lower() in text for s in expect.reply_contains_any):
        fails.append(f"reply has none of {expect.reply_contains_any}")
    fails += [f"reply contains {s!r}" for s in expect.reply_excludes if s.lower() in text]
    if expect.cites and (not reply.citations or reply.citations[0]["doc"] != expect.cites):
        fails.append(f"cites {[c['doc'] for c in reply.citations]} not {expect.cites!r} first")
    if expect.cards and not any(c["type"] == expect.cards for c in reply.cards):
        fails.append(f"no {expect.cards} card")
    if expect.affect:
        a = state.current_affect
        label = a.label if a else "neutral"
        ok = {"negative": label in NEGATIVE, "positive": label in POSITIVE}.get(expect.affect, label == expect.affect)
        if not ok:
            fails.append(f"affect {label!r} is not {expect.affect!r}")
    if expect.language and state.language != expect.language:
        fails.append(f"language {state.language!r} != {expect.language!r}")
    if expect.return_created is not None and (returns_after > returns_before) != expect.return_created:
        fails.append(f"return created: {returns_after > returns_before}, expected {expect.return_created}")
    return fails


def _count_returns(repo: SqlOrderRepository, customer: str) -> int:
    return sum(len(o.returns) for o in repo.list_orders(customer, limit=50))


async def run_conversation(runtime: Runtime, conv: Conversation, customers: _Customers, suite: str) -> Outcome:
    customer = customers.take(conv.language)
    names = customers.placeholders(customer)
    outcome = Outcome(suite, conv.name, conv.language)
    cid, _ = await asyncio.to_thread(runtime.conversations.create, channel="api", customer_id=customer)
    await runtime.agent.start(cid, channel="api", customer_id=customer, language=None)
    for i, turn in enumerate(conv.turns, 1):
        text = _fill(turn.user, names)
        expect = Expect.model_validate(_fill(turn.expect.model_dump(), names))
        before = await asyncio.to_thread(_count_returns, customers.repo, customer)
        result = await runtime.agent.handle(cid, text)
        after = await asyncio.to_thread(_count_returns, customers.repo, customer) if expect.return_created \
            is not None else before
        outcome.failures += [f"turn {i} ({text!r}): {f}" for f in check(expect, result, before, after)]
        if after > before:
            customers.spent.add(customer)
    return outcome


async def run_suites(runtime: Runtime, suites: dict[str, list[Conversation]], now: datetime | None = None,
                     budget: int | None = None) -> list[Outcome]:
    customers = _Customers(runtime, now or datetime.now(UTC))
    outcomes: list[Outcome] = []
    for suite, conversations in suites.items():
        for conv in conversations:
            if budget is not None and len(outcomes) >= budget:
                return outcomes
            outcomes.append(await run_conversation(runtime, conv, customers, suite))
    return outcomes
