"""What a tool declares about itself, and the registry the agent looks tools up in.

A tool is one module: `BaseTool` gives every declaration a default (no intents, no side effects, allowed for
everyone, arguments planned from the conversation's slots, replies from its own templates), so a new tool
writes only what differs. `Toolbox` is built once from the tools the server registers; the policy routes a
tool's intents to its `plan`, the NLG words its results with `reply`/`explain`, the LLM sees its schema, and
nothing outside the tool's module names it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ValidationError

from agent.events import ActionProposed, Event, ToolCalled, ToolReturned
from agent.intents import NO_TASK_INTENTS
from agent.protocols import Claim, Need, NLUResult, Phrasebook, Tool, ToolContext, ToolError, ToolReply, ToolResult
from agent.state import DialogueState

if TYPE_CHECKING:
    from agent.policy import Decision, Turn


class BaseTool:
    """Defaults for every declaration a tool may make; subclasses set `name`, `description`, `Args` and
    `__call__`, and override what differs."""

    name: ClassVar[str]
    description: ClassVar[str]
    Args: ClassVar[type[BaseModel]]
    intents: ClassVar[tuple[str, ...]] = ()  # agent-level intents the policy routes to `plan`
    # {"zh": "...", "en": "..."}: what it is for, in a few words, for the LLM's routing prompt ("look up an order")
    purpose: ClassVar[Mapping[str, str]] = {}
    side_effects: ClassVar[bool] = False  # changes something for the customer (a return, a coupon)
    llm_words: ClassVar[bool] = True  # an LLM may word this tool's replies (facts checked by the guard)
    # {"zh": {key: template}, "en": {...}}: the tool's own reply templates, looked up before prompts/replies
    templates: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    # {"zh": [regex, ...], "en": [...]}: words that name this tool's intent when the NLU has no task for them
    cues: ClassVar[Mapping[str, Sequence[str]]] = {}
    # agent-level intents of another tool that this tool serves when the message has its cue words: "推荐一款手机壳"
    # is a product question (the NLU's intent, which stays) that asks for a recommendation, not a search
    refines: ClassVar[tuple[str, ...]] = ()
    # agent-level intents the intent model misreads this tool's requests as: when the message has the tool's cue
    # words and does not sound upset, the tool's intent wins ("what goes with this" is no complaint)
    overrides: ClassVar[tuple[str, ...]] = ()
    # what this tool follows up: the tools (by name), customer events (by type, e.g. `product_interacted`) and
    # answers from the policy documents (`policy_question`) whose met need (`agent.protocols.Need`) it may answer
    # with one more line and card (`follow`), e.g. a cross-sell after an order question was answered
    follows: ClassVar[tuple[str, ...]] = ()
    # when several tools follow one need, the higher priority is asked first (then registration order); the first
    # with something to say is the only one heard (see agent.followups)
    follow_priority: ClassVar[int] = 0
    # the customer confirms the call first: the bot states it (`preview`, `confirmation`) and asks; only a yes in
    # their next turn runs it
    confirm: ClassVar[bool] = False
    # argument -> the slot that holds what the customer said about it: an LLM's value for the argument must agree
    # with the customer's words (it is corrected to them), and a different value in the answer to "shall I?"
    # plans the call afresh
    customer_words: ClassVar[Mapping[str, str]] = {}
    # statements an LLM reply may make only when this turn licenses them (see agent.protocols.Claim)
    claims: ClassVar[Sequence[Claim]] = ()

    async def authorize(self, args: BaseModel, ctx: ToolContext) -> None:
        """Raise `ToolError` to refuse before anything runs (ownership, policy). Default: allowed."""
        return None

    def recognises(self, turn: Turn) -> bool:
        """Is this turn one of this tool's, whatever intent was read in it (a bare listing number, a question about
        the product just shown)? The policy then hands it to `plan`. Default: no; keep it narrow and cheap."""
        return False

    async def __call__(self, args: BaseModel, ctx: ToolContext) -> ToolResult:
        raise NotImplementedError

    def plan(self, turn: Turn) -> Decision:
        """This turn's call: arguments from the slots that share their names; a missing required one is asked
        for with the template `ask_<slot>`."""
        args: dict[str, Any] = {}
        for field_name in self.Args.model_fields:
            value = turn.slot(field_name)
            if value is not None:
                args[field_name] = value
        missing = [n for n, f in self.Args.model_fields.items() if f.is_required() and n not in args]
        if missing:
            return turn.ask(missing[0], template=f"ask_{missing[0]}")
        return turn.call(self.name, args, llm_words=self.llm_words)

    async def preview(self, args: BaseModel, ctx: ToolContext) -> ToolResult:
        """What the call would do, without doing it (for `confirm` tools); a `ToolError` if it cannot be done."""
        return ToolResult(data=args.model_dump())

    def confirmation(self, preview: ToolResult, language: str, say: Phrasebook) -> ToolReply:
        """The call stated for the customer to confirm: the template `<name>.confirm` with yes/no quick replies."""
        return ToolReply(say.render(f"{self.name}.confirm", language, **preview.data),
                         list(say.term("quick_replies.confirm", language)))

    def reply(self, result: ToolResult, decision: Decision, language: str, say: Phrasebook) -> ToolReply:
        """The outcome in words: the template `<name>.done` filled with the result's data."""
        return ToolReply(say.render(f"{self.name}.done", language, **result.data))

    def explain(self, error: ToolError, language: str, say: Phrasebook) -> str:
        """A refusal in words: the template named by the error's code, filled with its params."""
        if say.has(error.code, language):
            return say.render(error.code, language, **error.params)
        return say.render("fallback", language)

    async def follow(self, need: Need, state: DialogueState, ctx: ToolContext) -> ToolResult | None:
        """A follow-up to a met need that this tool `follows` (facts, cards, the events it causes), or None to let
        it pass. Asked only when the policy allows something the customer did not ask for (`may_follow_up`)."""
        return None

    def follow_reply(self, result: ToolResult, language: str, say: Phrasebook) -> ToolReply:
        """A follow-up in words: the template `<name>.follow` filled with the result's data."""
        return ToolReply(say.render(f"{self.name}.follow", language, **result.data))


def tool_schema(tool: Tool | type[Tool]) -> dict[str, Any]:
    """The OpenAI function schema of a tool (its `Args` JSON schema is what the model sees).

    Regex `pattern`s move into the description: llama.cpp turns a schema into a grammar and its converter
    mangles `\\d` (seen: `^KF\\d{8}$` -> "failed to parse grammar"); arguments are validated against `Args`
    anyway, so the model needs only the hint.
    """
    return json.loads(_schema_json(tool.name, tool.description, tool.Args))


@functools.lru_cache(maxsize=256)
def _schema_json(name: str, description: str, args: type[BaseModel]) -> str:
    """The schema as JSON, built once per tool: pydantic regenerates a model's JSON schema on every call (~1 ms,
    a tenth of a production turn's CPU), and a tool's declaration does not change while the process runs. Kept as
    text so every caller gets its own dicts (`json.loads`, ~20 us) and none can alter another's."""
    parameters = _without_patterns(args.model_json_schema())
    return json.dumps(
        {"type": "function", "function": {"name": name, "description": description, "parameters": parameters}},
        ensure_ascii=False,
    )


def _without_patterns(node: Any) -> Any:
    if isinstance(node, list):
        return [_without_patterns(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _without_patterns(v) for k, v in node.items()
           if not (k in ("pattern", "title") and isinstance(v, str))}  # (a property may be named "title")
    if isinstance(node.get("pattern"), str):
        out["description"] = f"{node.get('description', '')} (format: {node['pattern']})".strip()
    return out


class Toolbox:
    """The registered tools, by name and by the intents they serve. Two tools may not claim one intent."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        self._by_intent: dict[str, Tool] = {}
        self._cues: list[tuple[str, re.Pattern[str], tuple[str, ...]]] = []
        self._refiners: dict[str, list[tuple[re.Pattern[str], Tool]]] = {}
        self._followers: dict[str, list[Tool]] = {}
        for tool in tools:
            self.register(tool)

    def register(self, tool: Tool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"a tool named {tool.name!r} is registered already")
        for intent in getattr(tool, "intents", ()):
            if intent in self._by_intent:
                raise ValueError(f"intent {intent!r} is served by {self._by_intent[intent].name!r} already")
            self._by_intent[intent] = tool
        self._tools[tool.name] = tool
        intents = getattr(tool, "intents", ())
        for patterns in getattr(tool, "cues", {}).values():
            if intents and patterns:
                self._cues.append((intents[0], re.compile("|".join(patterns), re.IGNORECASE),
                                   tuple(getattr(tool, "overrides", ()))))
        every_cue = [p for patterns in getattr(tool, "cues", {}).values() for p in patterns]
        for refined in getattr(tool, "refines", ()):
            if every_cue:
                self._refiners.setdefault(refined, []).append((re.compile("|".join(every_cue), re.IGNORECASE), tool))
        for source in getattr(tool, "follows", ()):
            self._followers.setdefault(source, []).append(tool)

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def for_intent(self, intent: str) -> Tool | None:
        return self._by_intent.get(intent)

    def for_turn(self, intent: str, text: str) -> Tool | None:
        """The tool that serves `intent` for this message: one that refines the intent and whose cue words
        the message has, else the intent's own tool."""
        for pattern, tool in self._refiners.get(intent, ()):
            if pattern.search(text):
                return tool
        return self._by_intent.get(intent)

    def recognising(self, turn: Turn) -> Tool | None:
        """The first registered tool that recognises this turn as its own (`BaseTool.recognises`), if any."""
        for tool in self._tools.values():
            recognises = getattr(tool, "recognises", None)
            if recognises is not None and recognises(turn):
                return tool
        return None

    def intent_of(self, name: str) -> str | None:
        """The intent a call of this tool serves (its first declared one)."""
        tool = self._tools.get(name)
        intents = getattr(tool, "intents", ()) if tool else ()
        return intents[0] if intents else None

    def followers(self, source: str) -> list[Tool]:
        """The tools that follow up a need met by `source` (a tool's name, an event's type or `policy_question`),
        highest `follow_priority` first, then in registration order."""
        return sorted(self._followers.get(source, ()), key=lambda t: -int(getattr(t, "follow_priority", 0)))

    def cued_intent(self, text: str, read_as: str | None = None) -> str | None:
        """The intent of the first tool whose declared cue words appear in `text` (and, given the NLU's reading
        `read_as`, that may replace it: any no-task reading, or one the tool `overrides`)."""
        for intent, pattern, overrides in self._cues:
            if (read_as is None or read_as in NO_TASK_INTENTS or read_as in overrides) and pattern.search(text):
                return intent
        return None

    def with_cues(self, nlu: NLUResult, text: str, *, floor: float, calm: bool = False) -> NLUResult:
        """A message the NLU found no task in, but which names a registered tool's cue words, is that tool's
        intent (with confidence at least `floor`): tools added after the intent model was trained are
        reachable without retraining it. A `calm` message (no negative affect) the NLU read as an intent the
        tool `overrides` is the tool's too."""
        if nlu.intent not in NO_TASK_INTENTS and not calm:
            return nlu
        cued = self.cued_intent(text, nlu.intent)
        if cued is None:
            return nlu
        return NLUResult(cued, max(nlu.confidence, floor), nlu.others, nlu.slots, nlu.fine_intent)


def with_customer_words(
    tool: Tool, args: dict[str, Any], said: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`args` (an LLM's) with every argument the customer spoke to (`Tool.customer_words`, read from the slots in
    `said`) set to what they said; and the LLM's values that were replaced."""
    out, corrected = dict(args), {}
    for arg, slot in getattr(tool, "customer_words", {}).items():
        value = said.get(slot)
        if value is not None and arg in out and out[arg] != value:  # a disagreement; an absent argument stays so
            corrected[arg] = out.get(arg)
            out[arg] = value
    return out, corrected


async def preview_tool(
    tool: Tool | None, name: str, raw_args: dict[str, Any], ctx: ToolContext, *, intent: str,
    proposed_by: str = "policy", llm_words: bool = True, corrected: Mapping[str, Any] | None = None,
) -> tuple[ToolResult | None, ToolError | None, list[Event]]:
    """Validate, authorize and preview a call the customer must confirm; nothing runs. On success the event
    records the pending call (`ActionProposed`), which the customer's next turn settles."""
    if tool is None:
        return None, ToolError("tool_unavailable", f"Tool {name} is not configured."), []
    try:
        args = tool.Args.model_validate(raw_args)
        await tool.authorize(args, ctx)
        preview = await tool.preview(args, ctx)  # type: ignore[attr-defined]
    except ValidationError as exc:
        return None, ToolError("invalid_arguments", f"Invalid arguments for {name}: {exc.error_count()} error(s)"), []
    except ToolError as err:
        return None, err, []
    proposed = ActionProposed(conversation_id=ctx.conversation_id, tool=name, args=args.model_dump(exclude_none=True),
                              intent=intent, proposed_by=proposed_by, llm_words=llm_words,
                              corrected=dict(corrected or {}))
    return preview, None, [proposed]


async def run_tool(
    tool: Tool | None, name: str, raw_args: dict[str, Any], ctx: ToolContext, *, proposed_by: str = "policy",
    announced: bool = False,
) -> tuple[ToolResult | None, ToolError | None, list[Event]]:
    """Validate, authorize and run one call; the events record the call, its outcome and what it caused.

    Every failure becomes a `ToolError` (unknown tool, invalid arguments, refused), so the turn still answers; an
    exception inside the tool propagates (the turn fails and apologises). `announced`: the call's `ToolCalled` was
    recorded before it ran (a call with side effects), so the events start with its outcome."""
    cid = ctx.conversation_id
    if tool is None:
        return None, ToolError("tool_unavailable", f"Tool {name} is not configured."), []
    events: list[Event] = [] if announced else [
        ToolCalled(conversation_id=cid, tool=name, args=dict(raw_args), proposed_by=proposed_by)]
    try:
        args = tool.Args.model_validate(raw_args)
        await tool.authorize(args, ctx)
        result = await tool(args, ctx)
    except ValidationError as exc:
        err = ToolError("invalid_arguments", f"Invalid arguments for {name}: {exc.error_count()} error(s)")
        events.append(ToolReturned(conversation_id=cid, tool=name, ok=False, error_code=err.code))
        return None, err, events
    except ToolError as err:
        events.append(
            ToolReturned(conversation_id=cid, tool=name, ok=False, error_code=err.code, data={"message": err.message})
        )
        return None, err, events
    events.append(ToolReturned(conversation_id=cid, tool=name, ok=True, data=result.data))
    events += result.events
    return result, None, events
