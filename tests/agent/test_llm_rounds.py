"""LLM rounds are spent only where they add something: no tool-call round when the rules hold the tool and its
arguments, one when they do not."""

from __future__ import annotations

import pytest

from agent.events import ToolCalled
from agent.protocols import ToolCallProposal
from tests.fakes import FakeAffect, FakeNLU, ScriptedLLM, ask, make_agent

pytestmark = pytest.mark.unit


def _agent(llm: ScriptedLLM, confidence: float):  # type: ignore[no-untyped-def]
    return make_agent(llm=llm, proposer=llm, nlu=FakeNLU(confidence=confidence), affect=FakeAffect())


@pytest.mark.parametrize("text", ["我的订单KF10000002到哪了？", "Where is my order KF10000002?"])
async def test_an_unsure_reading_with_the_tool_and_its_arguments_asks_no_tool_call(text: str) -> None:
    llm = ScriptedLLM("", rounds=[[ToolCallProposal("order_status", {"order_id": "KF10000002"})]])
    result, _ = await ask(_agent(llm, confidence=0.4), text)  # under UNSURE_BELOW: the LLM used to be forced
    assert llm.requests == []  # no round: the rules had order_status(KF10000002)
    calls = [e for e in result.events if isinstance(e, ToolCalled)]
    assert [(c.tool, c.args, c.proposed_by) for c in calls] == [("order_status", {"order_id": "KF10000002"}, "policy")]
    assert "KF10000002" in result.reply.text and len(llm.prompts) == 1  # one LLM round: the wording


async def test_without_the_arguments_the_model_still_chooses() -> None:
    llm = ScriptedLLM("", rounds=[[]])
    agent = _agent(llm, confidence=0.4)
    await ask(agent, "Where is my package?")  # no order id: the rules ask for one, the model is asked
    assert [choice for _, _, choice in llm.requests] == [None]
