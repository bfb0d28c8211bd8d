"""A turn as a channel hands it over: per-turn token sinks, speech cues fused into affect, and a turn cut off
by a caller who barges in (what was said is recorded, the rest dropped, the log stays whole)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest

from agent.affect import TextAffect
from agent.events import AffectObserved, BotInterrupted, BotUttered
from agent.nlg import LLMResponder, TemplateNLG
from agent.nlu import NLU
from agent.pipeline import Agent, SpeechCues, TurnInput
from agent.protocols import ChatMessage, LLMResponse
from tests.fakes import NOW, MemoryEventStore, MemoryOrders
from tools.commerce.orders import OrderStatusTool

pytestmark = pytest.mark.unit


class SlowLLM:
    """Streams its reply a few characters at a time, pausing between pieces (a voice reply being spoken)."""

    name = "slow"

    def __init__(self, reply: str, pause_s: float = 0.01) -> None:
        self.reply, self.pause_s = reply, pause_s

    async def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256) -> AsyncIterator[str]:
        for i in range(0, len(self.reply), 6):
            await asyncio.sleep(self.pause_s)
            yield self.reply[i : i + 6]

    async def complete(self, messages: Sequence[ChatMessage], **kw: object) -> LLMResponse:
        return LLMResponse("", [])


def make_agent(llm: SlowLLM | None = None) -> Agent:
    return Agent(
        store=MemoryEventStore(),
        nlu=NLU(),
        affect=TextAffect(),
        nlg=TemplateNLG(),
        tools=[OrderStatusTool(MemoryOrders())],
        clock=lambda: NOW,
        responder=LLMResponder(llm) if llm else None,
    )


async def test_each_turn_streams_to_its_own_sink() -> None:
    agent = make_agent(SlowLLM("Your order KF10000002 is in transit.", pause_s=0.001))
    for cid in ("a", "b"):
        await agent.start(cid, channel="web", customer_id="C1", language="en")
    got: dict[str, list[str]] = {"a": [], "b": []}

    def sink(cid: str):
        async def on_token(delta: str) -> None:
            got[cid].append(delta)

        return on_token

    a, b = await asyncio.gather(
        agent.handle("a", TurnInput("Where is my order KF10000002?"), on_token=sink("a")),
        agent.handle("b", TurnInput("Where is order KF10000002 now?"), on_token=sink("b")),
    )
    assert "".join(got["a"]) == a.reply.text and "".join(got["b"]) == b.reply.text
    quiet = await agent.handle("a", "thanks")  # no sink given: nothing is streamed anywhere
    assert quiet.reply.text and "".join(got["a"]) == a.reply.text


async def test_barge_in_records_what_was_said_and_drops_the_rest() -> None:
    first = "Your order KF10000002 is in transit."  # released once checked, sentence by sentence
    reply = first + " It is with SF Express. It should arrive soon."
    agent = make_agent(SlowLLM(reply))
    await agent.start("c", channel="voice", customer_id="C1", language="en")
    heard: list[str] = []

    async def on_token(delta: str) -> None:
        heard.append(delta)
        if len(heard) == 1:
            assert agent.interrupt("c")  # the caller starts talking over the bot

    with pytest.raises(asyncio.CancelledError):
        await agent.handle("c", TurnInput("Where is my order KF10000002?"), on_token=on_token)
    log = agent.store.logs["c"]  # type: ignore[attr-defined]
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    cut = [e for e in log if isinstance(e, BotInterrupted)]
    assert len(cut) == 1 and cut[0].delivered == "".join(heard) == first
    assert not [e for e in log if isinstance(e, BotUttered)]  # the rest was never said
    assert not agent.interrupt("c")  # nothing running any more

    after = await agent.handle("c", "thanks")  # the conversation goes on; cached state matches the log
    assert after.reply.text
    assert after.state.snapshot() == (await agent.rebuild("c")).snapshot()


async def test_speech_cues_are_fused_into_the_turns_affect() -> None:
    agent = make_agent()
    await agent.start("c", channel="voice", customer_id="C1", language="en")
    plain = await agent.handle("c", TurnInput("I'd like to check order KF10000002."))
    text_only = next(e for e in plain.events if isinstance(e, AffectObserved))
    assert text_only.source == "text" and text_only.label == "neutral"

    shouted = await agent.handle(
        "c",
        TurnInput("I'd like to check order KF10000002.", speech=SpeechCues(emotion="anger", valence=-0.8,
                                                                          confidence=0.9)),
    )
    fused = next(e for e in shouted.events if isinstance(e, AffectObserved))
    assert fused.source == "fused" and fused.label == "anger" and fused.score < -0.15
    assert shouted.state.public()["affect"]["label"] == "anger"

    unsure = await agent.handle(
        "c", TurnInput("I'd like to check order KF10000002.", speech=SpeechCues(emotion="anger", confidence=0.1))
    )
    weak = next(e for e in unsure.events if isinstance(e, AffectObserved))
    assert weak.source == "fused" and weak.label == "neutral"  # a faint speech reading does not override
