"""The turn pipeline over the OpenAI-compatible backend, against a scripted server: tool proposals,
streamed wording, the grounding guard, and failures that fall back to the template in time."""

from __future__ import annotations

import json
import time

import pytest

from agent.events import ToolCalled, ToolProposalRefused
from agent.pipeline import Agent
from tests.fakes import ask, make_agent
from tests.fakes.openai_server import Reply, ScriptedOpenAIServer

pytestmark = [pytest.mark.unit, pytest.mark.allow_loopback]


def proposing_agent(server: ScriptedOpenAIServer, tokens: list[str] | None = None, **limits: float) -> Agent:
    """The pipeline over the scripted server: the LLM proposes tool calls on every turn and words the reply."""
    llm = server.llm(
        timeout_s=limits.get("timeout", 5),
        first_token_timeout_s=limits.get("first", 2),
        stall_timeout_s=limits.get("stall", 0.5),
    )
    return make_agent(llm=llm, proposer=llm, propose_when="always", tokens=tokens)


async def test_llm_call_as_json_block_runs_and_streamed_reply_is_used() -> None:
    tokens: list[str] = []
    with ScriptedOpenAIServer() as server:
        server.push(
            Reply.json_block("order_status", {"order_id": "KF10000002"}),
            Reply(text="Your order KF10000002 is in transit. It reached the Shanghai hub."),
        )
        result, bot = await ask(proposing_agent(server, tokens), "Where is my order KF10000002?")
    calls = [e for e in result.events if isinstance(e, ToolCalled)]
    assert [(c.tool, c.proposed_by) for c in calls] == [("order_status", "llm")]
    assert bot.source == "llm" and bot.fallback is None
    assert tokens == ["Your order KF10000002 is in transit.", " It reached the Shanghai hub."]  # checked sentences
    assert "".join(tokens).strip() == result.reply.text and "in transit" in result.reply.text


async def test_made_up_amount_is_replaced_by_the_template() -> None:
    with ScriptedOpenAIServer() as server:
        server.push(
            Reply(tool_calls=[("order_status", {"order_id": "KF10000002"})]),
            Reply(text="Order KF10000002 is in transit. We also refunded ¥250.00 to your card."),
        )
        result, bot = await ask(proposing_agent(server), "Where is my order KF10000002?")
    assert bot.source == "template" and bot.fallback == "guard"
    assert "250" not in result.reply.text and "in transit" in result.reply.text


async def test_stall_mid_stream_answers_with_the_template_in_time_and_loses_no_event() -> None:
    with ScriptedOpenAIServer() as server:
        server.push(
            Reply(tool_calls=[("order_status", {"order_id": "KF10000002"})]),
            Reply(text="Your order KF10000002 is in transit and will", stall_after=3, stall_s=20),
        )
        agent = proposing_agent(server, stall=0.5, timeout=4)
        started = time.monotonic()
        result, bot = await ask(agent, "Where is my order KF10000002?")
        elapsed = time.monotonic() - started
    assert elapsed < 4 and bot.fallback == "llm_stall" and bot.source == "template"
    assert "KF10000002" in result.reply.text
    log = agent.store.logs["c"]  # type: ignore[attr-defined]
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    assert [e.type for e in log][-1] == "bot_uttered"


async def test_server_error_answers_with_the_template() -> None:
    with ScriptedOpenAIServer(default=Reply(status=500)) as server:
        result, bot = await ask(proposing_agent(server), "我的订单KF10000002到哪了？")
    assert bot.source == "template" and bot.fallback == "llm_error" and "运输中" in result.reply.text


FORCED = {"type": "function", "function": {"name": "order_status"}}  # the rules knew the tool


@pytest.mark.parametrize(
    ("text", "bad", "reason", "says", "choice"),
    [
        (
            "Is KF20000001 mine? And where is KF10000002?",
            ("order_status", {"order_id": "KF20000001"}),
            "not_owned",
            "does not belong to this customer",
            FORCED,
        ),
        (
            "Where is my order KF10000002?",
            ("order_status", {"order_id": "12345"}),
            "invalid_arguments",
            "do not match its schema (order_id: String should match pattern",
            FORCED,
        ),
        (
            "I have a question about KF10000002",
            ("request_return", {"order_id": "KF10000002", "kind": "no_reason"}),
            "not_requested",
            "the customer has not asked for that",
            "auto",
        ),  # the rules could not tell: auto
    ],
)
async def test_refused_proposal_is_explained_back_and_only_the_second_proposal_runs(
    text: str, bad: tuple[str, dict], reason: str, says: str, choice: object
) -> None:
    tokens: list[str] = []
    with ScriptedOpenAIServer() as server:
        server.push(
            Reply(tool_calls=[bad]),
            Reply(tool_calls=[("order_status", {"order_id": "KF10000002"})]),
            Reply(text="Your order KF10000002 is in transit."),
        )
        result, bot = await ask(proposing_agent(server, tokens), text)
        first, second = server.requests[0], server.requests[1]
    assert first["tool_choice"] == choice
    assert second["tool_choice"] == "auto" and len(second["tools"]) == 3  # may pick another tool, or none
    call = second["messages"][-3]["tool_calls"][0]
    assert call["function"]["name"] == bad[0] and json.loads(call["function"]["arguments"]) == bad[1]
    note = second["messages"][-2]
    assert note["role"] == "tool" and note["tool_call_id"] == call["id"] and says in note["content"]
    assert second["messages"][-1] == {"role": "user", "content": note["content"]}
    assert [(e.tool, e.reason) for e in result.events if isinstance(e, ToolProposalRefused)] == [(bad[0], reason)]
    calls = [e for e in result.events if isinstance(e, ToolCalled)]
    assert [(c.tool, c.args, c.proposed_by) for c in calls] == [("order_status", {"order_id": "KF10000002"}, "llm")]
    assert bot.source == "llm" and "".join(tokens) == result.reply.text == "Your order KF10000002 is in transit."


async def test_refused_twice_the_rule_based_path_answers_and_nothing_refused_runs() -> None:
    with ScriptedOpenAIServer() as server:
        foreign = Reply(tool_calls=[("order_status", {"order_id": "KF20000001"})])
        server.push(foreign, foreign, Reply(text="Your order KF10000002 is in transit."))
        result, bot = await ask(proposing_agent(server), "Where is my order KF10000002?")
        assert len(server.requests) == 3  # two proposal rounds, then the wording
    calls = [e for e in result.events if isinstance(e, ToolCalled)]
    assert [(c.tool, c.args, c.proposed_by) for c in calls] == [("order_status", {"order_id": "KF10000002"}, "policy")]
    assert [e.reason for e in result.events if isinstance(e, ToolProposalRefused)] == ["order_not_mentioned"] * 2
    assert bot.source == "llm" and "KF20000001" not in result.reply.text
