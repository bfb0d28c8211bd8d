"""The LLM proposes tool calls; the dialogue state and policy decide what may run.

A proposal runs only if the tool is offered for this turn, its arguments validate against the tool's
`Args` schema, every order id it names is one the customer wrote in this conversation and that the
tool's own ownership check accepts (`authorize`), and — for tools with side effects — the rule-based
reading agrees that the customer asked for it. Anything else is refused, recorded, and the turn falls
back to the rule-based path.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from agent.llm.toolcalls import tool_schema
from agent.protocols import LLM, ChatMessage, LLMUnavailable, Tool, ToolCallProposal, ToolContext, ToolError
from agent.state import DialogueState
from prompts.chat import route_prompt

log = logging.getLogger(__name__)

ORDER_ID = re.compile(r"KF\d{8}", re.IGNORECASE)
# Tools whose call changes something for the customer: only when the customer's own words asked for it.
SIDE_EFFECTS = {"request_return": "return_request"}


@dataclass(frozen=True, slots=True)
class Accepted:
    tool: Tool
    args: BaseModel


@dataclass(frozen=True, slots=True)
class Refused:
    name: str
    arguments: dict[str, Any]
    reason: str  # unknown_tool | invalid_arguments | order_not_mentioned | not_owned | not_requested


class ToolProposer:
    def __init__(self, llm: LLM, tools: Mapping[str, Tool], *, offered: Sequence[str] | None = None) -> None:
        self.llm = llm
        self.tools = dict(tools)
        self.offered = [n for n in (offered or list(self.tools)) if n in self.tools]

    async def propose(self, language: str, text: str) -> list[ToolCallProposal]:
        """The model's proposals for this message (native tool_calls or a JSON block), or none."""
        messages = [ChatMessage("system", route_prompt(language)), ChatMessage("user", text)]
        try:
            response = await self.llm.complete(messages, tools=[tool_schema(self.tools[n]) for n in self.offered],
                                               max_tokens=96)
        except LLMUnavailable as exc:
            log.info("no tool proposal: LLM unavailable (%s)", exc.reason)
            return []
        return list(response.tool_calls)

    async def validate(
        self, proposal: ToolCallProposal, state: DialogueState, ctx: ToolContext, mentioned: set[str], intent: str
    ) -> Accepted | Refused:
        tool = self.tools.get(proposal.name) if proposal.name in self.offered else None
        if tool is None:
            return Refused(proposal.name, proposal.arguments, "unknown_tool")
        try:
            args = tool.Args.model_validate(proposal.arguments)
        except ValidationError:
            return Refused(proposal.name, proposal.arguments, "invalid_arguments")
        named = {m.upper() for m in ORDER_ID.findall(" ".join(str(v) for v in args.model_dump().values()))}
        if not named <= mentioned:
            return Refused(proposal.name, proposal.arguments, "order_not_mentioned")
        authorize = getattr(tool, "authorize", None)
        if authorize is not None:
            try:
                await authorize(args, ctx)
            except ToolError:
                return Refused(proposal.name, proposal.arguments, "not_owned")
        needed = SIDE_EFFECTS.get(proposal.name)
        if needed is not None and intent != needed:
            return Refused(proposal.name, proposal.arguments, "not_requested")
        return Accepted(tool, args)


def mentioned_orders(texts: Sequence[str]) -> set[str]:
    return {m.upper() for t in texts for m in ORDER_ID.findall(t)}
