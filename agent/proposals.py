"""The LLM proposes tool calls; the dialogue state and policy decide what may run.

A proposal runs only if the tool is offered for this turn, its arguments validate against the tool's
`Args` schema, every order id it names is one the customer wrote in this conversation and that the
tool's own ownership check accepts (`authorize`), and — for tools with side effects — the rule-based
reading agrees that the customer asked for it. Anything else is refused and recorded; the refusal's
reason goes back to the model as the call's tool message, and it may propose once more
(`propose(..., feedback=...)`); the pipeline bounds the rounds and otherwise takes the rule-based path.

When the rules already know which tool fits, the pipeline names it (`force`): the model must call it and
only fills the arguments (constrained decoding), which a small model does reliably where "auto" lets it
drift into prose.
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
from prompts.llm_tasks import refusal_note

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
    detail: str = ""  # what was wrong, for the model (e.g. the schema errors)


class ToolProposer:
    def __init__(
        self, llm: LLM, tools: Mapping[str, Tool], *, offered: Sequence[str] | None = None, force: bool = True
    ) -> None:
        self.llm = llm
        self.tools = dict(tools)
        self.offered = [n for n in (offered or list(self.tools)) if n in self.tools]
        self.force = force  # False: always "auto", even when the rules name the tool (for comparison)

    def forceable(self, name: str | None) -> bool:
        return self.force and name is not None and name in self.offered

    async def propose(
        self,
        language: str,
        text: str,
        *,
        force: str | None = None,
        feedback: Sequence[tuple[ToolCallProposal, Refused]] = (),
    ) -> list[ToolCallProposal]:
        """The model's proposals for this message (native tool_calls or a JSON block), or none.

        `force` names the tool the model must call (it fills the arguments). `feedback` holds the
        proposals refused in the round before, each with its refusal: they go back as the assistant's
        calls and one tool message per call saying why, and the model decides again ("auto").
        """
        messages = [ChatMessage("system", route_prompt(language)), ChatMessage("user", text)]
        if feedback:
            calls = tuple(
                ToolCallProposal(p.name, p.arguments, p.id or f"call_{i}") for i, (p, _) in enumerate(feedback)
            )
            notes = [
                refusal_note(language, r.reason, tool=r.name, arguments=r.arguments, detail=r.detail)
                for _, r in feedback
            ]
            messages.append(ChatMessage("assistant", "", tool_calls=calls))
            messages += [ChatMessage("tool", note, tool_call_id=c.id) for c, note in zip(calls, notes, strict=True)]
            # said again as the closing user turn: llama.cpp's chatml-function-calling template drops the
            # content of tool messages, and a model reads its last turn most closely anyway
            messages.append(ChatMessage("user", "\n".join(notes)))
            force = None
        # a forced call is shown only its own schema: the prompt is half as long (~250 tokens), which is
        # most of its cost on a CPU server
        forced = force if self.forceable(force) else None
        offered = [forced] if forced else self.offered
        try:
            response = await self.llm.complete(
                messages, tools=[tool_schema(self.tools[n]) for n in offered], max_tokens=96, tool_choice=forced
            )
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
        except ValidationError as exc:
            detail = "; ".join(
                f"{'.'.join(str(x) for x in e['loc']) or 'arguments'}: {e['msg']}" for e in exc.errors()[:3]
            )
            return Refused(proposal.name, proposal.arguments, "invalid_arguments", detail)
        named = {m.upper() for m in ORDER_ID.findall(" ".join(str(v) for v in args.model_dump().values()))}
        if not named <= mentioned:
            unknown = ", ".join(sorted(named - mentioned))
            return Refused(proposal.name, proposal.arguments, "order_not_mentioned", unknown)
        authorize = getattr(tool, "authorize", None)
        if authorize is not None:
            try:
                await authorize(args, ctx)
            except ToolError:
                return Refused(proposal.name, proposal.arguments, "not_owned", ", ".join(sorted(named)))
        needed = SIDE_EFFECTS.get(proposal.name)
        if needed is not None and intent != needed:
            return Refused(proposal.name, proposal.arguments, "not_requested")
        return Accepted(tool, args)


def mentioned_orders(texts: Sequence[str]) -> set[str]:
    return {m.upper() for t in texts for m in ORDER_ID.findall(t)}
