"""The LLM proposes tool calls; the dialogue state and policy decide what may run.

A proposal runs only if the tool is offered for this turn, its arguments validate against the tool's
`Args` schema, every order id it names is one the customer wrote in this conversation and that the
tool's own ownership check accepts (`authorize`), and — for tools with side effects — the rule-based
reading agrees that the customer asked for it. Anything else is refused and recorded; the refusal's
reason goes back to the model as the call's tool message, and it may propose once more
(`propose(..., feedback=...)`); the pipeline bounds the rounds and otherwise takes the rule-based path.

When the rules already know which tool fits, the pipeline names it (`force`): the model must call it and
only fills the arguments (constrained decoding), which a small model does reliably where "auto" lets it
drift into prose. When the rules also hold valid arguments for it (`rules_resolved`), the default ("unsure")
asks nothing at all: the forced round could only copy them, and on two CPU cores it costs seconds.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from agent.events import Event, ToolProposalRefused
from agent.policy import Decision
from agent.protocols import LLM, ChatMessage, LLMUnavailable, Tool, ToolCallProposal, ToolContext, ToolError
from agent.state import DialogueState
from agent.tooling import tool_schema, with_customer_words
from prompts.chat import route_prompt
from prompts.llm_tasks import refusal_note

log = logging.getLogger(__name__)

ORDER_ID = re.compile(r"KF\d{8}", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Accepted:
    tool: Tool
    args: BaseModel


@dataclass(frozen=True, slots=True)
class Refused:
    name: str
    arguments: dict[str, Any]
    reason: str  # unknown_tool | invalid_arguments | order_not_mentioned | not_owned | not_allowed | not_requested
    detail: str = ""  # what was wrong, for the model (e.g. the schema errors)


class ToolProposer:
    def __init__(
        self,
        llm: LLM,
        tools: Mapping[str, Tool] | Iterable[Tool],
        *,
        offered: Sequence[str] | None = None,
        force: bool = True,
    ) -> None:
        self.llm = llm
        self.tools = dict(tools) if isinstance(tools, Mapping) else {t.name: t for t in tools}
        self.offered = [n for n in (offered or list(self.tools)) if n in self.tools]
        self.force = force  # False: always "auto", even when the rules name the tool (for comparison)

    def route_prompt(self, language: str) -> str:
        """The routing prompt names every offered tool with its declared purpose (sorted by name)."""
        listed = []
        for name in sorted(self.offered):
            purpose = getattr(self.tools[name], "purpose", {}) or {}
            listed.append((name, purpose.get(language) or purpose.get("en") or self.tools[name].description))
        return route_prompt(language, listed)

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
        messages = [ChatMessage("system", self.route_prompt(language)), ChatMessage("user", text)]
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
        try:
            await tool.authorize(args, ctx)
        except ToolError as err:
            if named:  # an order id the customer wrote but which is not theirs
                return Refused(proposal.name, proposal.arguments, "not_owned", ", ".join(sorted(named)))
            return Refused(proposal.name, proposal.arguments, "not_allowed", err.message)
        if getattr(tool, "side_effects", False) and intent not in getattr(tool, "intents", ()):
            # it changes something for the customer: only when their own words asked for it
            return Refused(proposal.name, proposal.arguments, "not_requested")
        return Accepted(tool, args)


def rules_resolved(decision: Decision, tool: Tool | None) -> bool:
    """The rules chose `tool` and hold arguments its schema accepts: an LLM round would only fill them again."""
    if decision.kind != "call_tool" or tool is None or decision.tool != tool.name or decision.ask_slot:
        return False
    try:
        tool.Args.model_validate(dict(decision.args))
    except ValidationError:
        return False
    return True


def mentioned_orders(texts: Sequence[str]) -> set[str]:
    return {m.upper() for t in texts for m in ORDER_ID.findall(t)}


PROPOSAL_RETRIES = 1  # rounds after a refusal: the model reads why and may propose once more


async def consult(
    proposer: ToolProposer, state: DialogueState, decision: Decision, language: str, text: str, ctx: ToolContext,
    intent_of: Callable[[str], str | None],
) -> tuple[Decision, list[Event]]:
    """Ask the LLM for a tool call; take the first proposal the state and policy accept, else keep the
    rule-based decision. Refusals are recorded, never run, and explained back to the model, which gets
    `PROPOSAL_RETRIES` more rounds.

    When the rules already chose a tool with the arguments at hand (not asking for a slot), that tool is
    forced: the model fills its arguments from the customer's words instead of deciding whether to call.

    Arguments the customer spoke to themselves (`Tool.customer_words`: "质量问题", "I changed my mind") are
    set to what they said when the model's differ; the replaced values ride on the decision (`corrected`)."""
    cid = state.conversation_id
    mentioned = mentioned_orders([text]) | ({str(state.slot("order_id"))} if state.slot("order_id") else set())
    force = decision.tool if decision.kind == "call_tool" and not decision.ask_slot else None
    refusals: list[Event] = []
    proposals = await proposer.propose(language, text, force=force)
    for attempt in range(PROPOSAL_RETRIES + 1):
        refused: list[tuple[ToolCallProposal, Refused]] = []
        for proposal in proposals:
            verdict = await proposer.validate(proposal, state, ctx, mentioned, decision.intent)
            if isinstance(verdict, Refused):
                refusals.append(ToolProposalRefused(conversation_id=cid, tool=verdict.name,
                                                    arguments=dict(verdict.arguments), reason=verdict.reason))
                refused.append((proposal, verdict))
                continue
            tool = verdict.tool
            said = {slot: state.slot(slot) for slot in getattr(tool, "customer_words", {}).values()}
            args, corrected = with_customer_words(tool, verdict.args.model_dump(exclude_none=True), said)
            if corrected:
                log.info("LLM arguments for %s corrected to the customer's words: %s", tool.name, sorted(corrected))
            chosen = Decision(
                "call_tool",
                intent_of(tool.name) or decision.intent,
                tool=tool.name,
                args=args,
                empathy=decision.empathy,
                proposed_by="llm",
                llm_words=getattr(tool, "llm_words", True),
                corrected=corrected,
            )
            return chosen, refusals
        if not refused or attempt == PROPOSAL_RETRIES:
            break
        proposals = await proposer.propose(language, text, feedback=refused)
    return decision, refusals
