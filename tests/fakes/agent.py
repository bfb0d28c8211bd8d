"""One builder for the turn pipeline in tests and benches: `make_agent(...)` with in-memory ports by default.

    agent = make_agent(llm=ScriptedLLM("您好…"), tokens=tokens)     # LLM-worded replies, streamed into tokens
    agent = make_agent(proposer=llm, propose_when="always")          # the LLM proposes tool calls
    agent = make_agent(nlu=FakeNLU(), affect=FakeAffect())           # no trained model at all
    result, bot = await ask(agent, "我的订单KF10000002到哪了？")

By default the tools are order status, returns and product search over `MemoryOrders` (customers C1, C2) and
`MemoryCatalog`, the retriever is `KeywordRetriever`, the clock stands at `NOW`, and perception is the real
trained NLU and text affect, each loaded once per process (`shared_nlu()`, `shared_affect()`; the session
fixtures `trained_nlu` and `text_affect` are the same objects).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from agent.affect import TextAffect
from agent.events import BotUttered
from agent.nlg import LLMResponder, TemplateNLG
from agent.nlu import NLU
from agent.pipeline import Agent, TokenSink, TurnInput, TurnResult
from agent.proposals import ToolProposer
from agent.protocols import LLM, EventStore, NLUReader, Retriever, Tool
from tests.fakes.commerce import LEXICON, NOW, MemoryCatalog, MemoryOrders
from tests.fakes.knowledge import KeywordRetriever
from tests.fakes.stores import MemoryEventStore
from tools.commerce.orders import OrderStatusTool
from tools.commerce.products import ProductSearchTool
from tools.commerce.returns import ReturnRequestTool


@cache
def shared_nlu() -> NLU:
    """The trained NLU over the fake catalogue's lexicon, dates relative to `NOW` (one per process)."""
    return NLU(LEXICON, today=NOW.date())


@cache
def shared_affect() -> TextAffect:
    """The trained text affect reader (one per process: its weights load on first use)."""
    return TextAffect()


def commerce_tools(orders: MemoryOrders, catalog: MemoryCatalog | None = None) -> list[Tool]:
    """Order status, returns and product search, as the server wires them."""
    return [OrderStatusTool(orders), ReturnRequestTool(orders), ProductSearchTool(catalog or MemoryCatalog())]


class StreamingAgent(Agent):
    """An `Agent` whose turns stream to `sink` unless a turn passes its own `on_token` (as a channel would)."""

    def __init__(self, *, sink: TokenSink | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sink = sink

    async def handle(
        self, conversation_id: str, turn: TurnInput | str, *, on_token: TokenSink | None = None
    ) -> TurnResult:
        return await super().handle(conversation_id, turn, on_token=on_token or self.sink)


def make_agent(
    *,
    llm: LLM | None = None,
    responder: LLMResponder | None = None,
    proposer: LLM | ToolProposer | None = None,
    propose_when: str = "unsure",
    force: bool = True,
    orders: MemoryOrders | None = None,
    tools: Sequence[Tool] | None = None,
    nlu: NLUReader | None = None,
    affect: Any = None,
    retriever: Retriever | None = None,
    store: EventStore | None = None,
    clock: Callable[[], datetime] = lambda: NOW,
    tokens: list[str] | None = None,
    on_delta: Callable[[str], None] | None = None,
    **agent_options: Any,
) -> StreamingAgent:
    """The pipeline with in-memory ports; every keyword replaces one default.

    llm: words replies (`LLMResponder(llm)`); `responder` instead gives the responder itself.
    proposer: an LLM (wrapped in a `ToolProposer` over the agent's tools, `force` as given) or a `ToolProposer`;
        `propose_when` is the agent's ("unsure", "always", "off").
    orders / tools: the order data the default tools use (a fresh `MemoryOrders`), or other tools.
    nlu, affect, retriever, store, clock: perception, retrieval, event store, time (see the module docstring).
    tokens: every streamed delta of every turn is appended here (what a widget gets as `bot_token` frames);
        `on_delta` is called with each one too. A turn that passes its own `on_token` streams there instead.
    agent_options: any other `Agent` keyword (nlg, turn_lock, max_text_chars, on_events, ...).
    """
    tools = list(tools) if tools is not None else commerce_tools(orders or MemoryOrders())
    if isinstance(proposer, ToolProposer) or proposer is None:
        tool_proposer = proposer
    else:
        tool_proposer = ToolProposer(proposer, tools, force=force)
    sink: TokenSink | None = None
    if tokens is not None or on_delta is not None:

        async def sink(delta: str) -> None:
            if tokens is not None:
                tokens.append(delta)
            if on_delta is not None:
                on_delta(delta)

    agent_options.setdefault("nlg", TemplateNLG())
    return StreamingAgent(
        sink=sink,
        store=store or MemoryEventStore(),
        nlu=nlu or shared_nlu(),
        affect=affect or shared_affect(),
        retriever=retriever or KeywordRetriever(),
        tools=tools,
        clock=clock,
        responder=responder or (LLMResponder(llm) if llm is not None else None),
        proposer=tool_proposer,
        propose_when=propose_when,
        **agent_options,
    )


async def ask(
    agent: Agent, text: str, *, conversation_id: str = "c", customer_id: str | None = "C1", language: str | None = None
) -> tuple[TurnResult, BotUttered]:
    """Start a web conversation for `customer_id` and run one turn; its result and its last `BotUttered`."""
    await agent.start(conversation_id, channel="web", customer_id=customer_id, language=language)
    result = await agent.handle(conversation_id, text)
    return result, [e for e in result.events if isinstance(e, BotUttered)][-1]
