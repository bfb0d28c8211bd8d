"""An LLM that stalls or refuses trips the guard's breaker: after a few failed turns the next ones skip it and answer
from templates at once; after `reset_s` one trial call finds it back and LLM wording resumes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence

import pytest

from agent.breaker import CircuitBreaker
from agent.llm import GuardedLLM
from agent.protocols import ChatMessage, LLMResponse
from tests.fakes import FakeAffect, FakeNLU, make_agent

pytestmark = pytest.mark.unit

WORDED = "您好，订单 KF10000002 正在运输中，最新一站是上海转运中心。"
FIRST_TOKEN_S = 0.3


class SickLLM:
    """Stalls before its first token (`stall`), refuses the connection (`refuse`), or streams `WORDED`."""

    name = "sick"

    def __init__(self) -> None:
        self.stall, self.refuse, self.calls = True, False, 0

    async def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> AsyncIterator[str]:
        self.calls += 1
        if self.refuse:
            raise ConnectionRefusedError("connection refused")
        if self.stall:
            await asyncio.sleep(30)
        for i in range(0, len(WORDED), 4):
            yield WORDED[i : i + 4]

    async def complete(self, messages: Sequence[ChatMessage], *, tools=None, max_tokens: int = 256,
                       tool_choice: str | None = None) -> LLMResponse:
        raise AssertionError("not asked for tools here")


async def timed_turn(agent, n: int) -> tuple[float, str, str | None]:
    await agent.start(f"c{n}", channel="web", customer_id="C1", language="zh")
    start = time.perf_counter()
    result = await agent.handle(f"c{n}", "我的订单KF10000002到哪了？")
    bot = [e for e in result.events if e.type == "bot_uttered"][-1]
    return time.perf_counter() - start, result.reply.source or "", bot.fallback


@pytest.mark.parametrize("sickness", ["stall", "refuse"])
async def test_after_failures_turns_skip_the_llm_then_a_trial_brings_it_back(
        sickness: str, capsys: pytest.CaptureFixture[str]) -> None:
    sick = SickLLM()
    sick.stall, sick.refuse = sickness == "stall", sickness == "refuse"
    breaker = CircuitBreaker("llm sick", failures=2, reset_s=1.0)
    guarded = GuardedLLM(sick, timeout_s=2.0, first_token_timeout_s=FIRST_TOKEN_S, stall_timeout_s=0.5,
                         breaker=breaker)
    agent = make_agent(llm=guarded, nlu=FakeNLU(), affect=FakeAffect())

    failing = [await timed_turn(agent, n) for n in range(2)]
    assert all(source == "template" for _, source, _ in failing)  # every turn still answered
    if sickness == "stall":
        assert all(took >= FIRST_TOKEN_S for took, _, _ in failing)  # each paid the first-token timeout
    assert breaker.state == "open" and sick.calls == 2

    skipped = [await timed_turn(agent, n) for n in range(2, 7)]
    assert [(s, f) for _, s, f in skipped] == [("template", "llm_circuit_open")] * 5
    assert max(took for took, _, _ in skipped) < FIRST_TOKEN_S / 2 and sick.calls == 2  # not called at all

    sick.stall = sick.refuse = False  # it recovers
    await asyncio.sleep(1.05)
    assert breaker.state == "half_open"
    trial, source, fallback = await timed_turn(agent, 7)  # the trial call
    assert (source, fallback) == ("llm", None) and breaker.state == "closed"
    assert (await timed_turn(agent, 8))[1] == "llm" and sick.calls == 4
    with capsys.disabled():
        print(f"\n[llm {sickness}] seconds per turn: failing {[round(t, 3) for t, _, _ in failing]}, breaker open "
              f"max {max(t for t, _, _ in skipped):.3f}, half-open trial {trial:.3f}")


async def test_a_failed_trial_opens_it_again() -> None:
    now = [0.0]
    breaker = CircuitBreaker("x", failures=2, reset_s=5.0, clock=lambda: now[0])
    breaker.failure()
    assert breaker.allow()
    breaker.failure()
    assert not breaker.allow() and breaker.opened == 1
    now[0] = 5.0
    assert breaker.allow() and not breaker.allow()  # one trial at a time
    breaker.failure()
    assert breaker.state == "open" and breaker.opened == 2
    now[0] = 10.0
    assert breaker.allow()
    breaker.success()
    assert breaker.state == "closed" and breaker.allow() and breaker.allow()


async def test_a_stall_under_load_opens_the_breaker_before_any_first_token_timeout() -> None:
    """Six turns at once against a stalled LLM (one generation at a time): none waits the first-token timeout; the
    breaker opens once they have waited `slow_after_s`, later turns skip the LLM, and a trial brings it back."""
    sick = SickLLM()
    breaker = CircuitBreaker("llm sick", failures=3, reset_s=1.0)
    guarded = GuardedLLM(sick, timeout_s=4.0, first_token_timeout_s=1.0, stall_timeout_s=0.5, breaker=breaker)
    assert guarded.slow_after_s == 0.5  # half the first-token timeout
    agent = make_agent(llm=guarded, nlu=FakeNLU(), affect=FakeAffect())

    start = time.perf_counter()
    burst = await asyncio.gather(*(timed_turn(agent, n) for n in range(6)))
    assert time.perf_counter() - start < 0.9  # all answered before the first-token timeout (1 s) of even one
    assert all(source == "template" for _, source, _ in burst)
    assert breaker.state == "open" and sick.calls == 1 and guarded.failures["slow"] == 3
    assert {f for _, _, f in burst} == {"llm_circuit_open"}  # the stalled one and the queued ones gave up together

    later = [await timed_turn(agent, n) for n in range(6, 9)]
    assert [(s, f) for _, s, f in later] == [("template", "llm_circuit_open")] * 3
    assert max(took for took, _, _ in later) < 0.2 and sick.calls == 1

    sick.stall = False
    await asyncio.sleep(1.05)
    assert (await timed_turn(agent, 9))[1:] == ("llm", None) and breaker.state == "closed"
    assert guarded.in_flight == 0 and not guarded._waits


class SlowLLM(SickLLM):
    """Answers, but its first token takes `delay` (a long prompt on a busy CPU)."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.stall, self.delay = False, delay

    async def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> AsyncIterator[str]:
        await asyncio.sleep(self.delay)
        async for token in super().stream(messages, max_tokens=max_tokens):
            yield token


async def test_a_slow_first_token_alone_or_with_one_other_waiting_does_not_open_it() -> None:
    slow = SlowLLM(0.7)
    breaker = CircuitBreaker("llm slow", failures=3, reset_s=1.0)
    guarded = GuardedLLM(slow, timeout_s=4.0, first_token_timeout_s=1.0, stall_timeout_s=0.5,
                         max_concurrency=2, breaker=breaker)
    agent = make_agent(llm=guarded, nlu=FakeNLU(), affect=FakeAffect())
    assert (await timed_turn(agent, 0))[1:] == ("llm", None)  # alone: no evidence of a stall
    pair = await asyncio.gather(*(timed_turn(agent, n) for n in (1, 2)))
    assert [r[1:] for r in pair] == [("llm", None)] * 2  # two strikes, then it answers: closed again
    assert guarded.failures["slow"] == 2 and breaker.state == "closed" and breaker.opened == 0
