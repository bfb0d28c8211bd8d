"""LLM-worded replies, grounded and guarded; the template reply stays the fallback.

The deterministic engine has already decided and acted (tool results, passages, the template reply);
the LLM only rewords that outcome for the customer, streaming tokens as they come. A reply whose
order ids, amounts, dates, statuses or policy figures are not in the grounding, or an LLM that errors,
stalls or times out, gives way to the template reply, and the reason is recorded.

Out-of-scope turns (the policy's `fallback` template: chit-chat, or a message the engine could not read)
are the one place where the LLM writes freely: a short reply in the customer's language that steers back
to what the store can help with. It is given no facts, so the guard refuses any order id, amount, date,
figure or status in it, and a reply in the wrong language is refused too. A reply that does not come back
to orders, returns, products or offers by itself gets the store's steer-back sentence added (streamed too).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, replace

from agent.nlg.grounding import check_grounded
from agent.nlg.messages import PromptedTurn, build_turn
from agent.nlg.templates import Reply
from agent.policy import Decision
from agent.protocols import LLM, ChatMessage, LLMUnavailable, Passage, ToolResult
from prompts.chat import system_prompt
from prompts.llm_tasks import chitchat_turn, steer_line, steers_back

log = logging.getLogger(__name__)

TokenSink = Callable[[str], Awaitable[None]]
# Turns whose outcome the LLM may word. Asking for a slot, handoffs and silence stay templated.
DEFAULT_LLM_INTENTS = frozenset(
    {"policy_question", "coupon_question", "order_status", "return_request", "complaint", "other", "greeting"}
)


STEER_TEMPLATE = "fallback"  # the policy's out-of-scope reply
_CJK = re.compile(r"[\u4e00-\u9fff]")


def in_language(text: str, language: str) -> bool:
    """Is `text` written in `language`? zh: mostly Chinese characters; en: none at all."""
    cjk = len(_CJK.findall(text))
    if language == "zh":
        return cjk >= max(2, len(re.findall(r"[A-Za-z]+", text)))
    return cjk == 0


def steer_turn(language: str, text: str, empathy: str | None = None) -> PromptedTurn:
    """An out-of-scope turn: the store's system prompt (its KV cache stays warm), the steer-back task and
    the customer's words. The grounding is empty: the reply may state no facts at all."""
    messages = [
        ChatMessage("system", system_prompt(language)),
        ChatMessage("user", chitchat_turn(language, text, mood=empathy)),
    ]
    return PromptedTurn(messages=messages, grounding=[])


@dataclass(frozen=True, slots=True)
class LLMOutcome:
    reply: Reply
    fallback: str | None  # why the template answered instead (None: the LLM's reply was used)


class LLMResponder:
    def __init__(
        self,
        llm: LLM,
        *,
        tz: str = "Asia/Shanghai",
        intents: frozenset[str] = DEFAULT_LLM_INTENTS,
        max_tokens: int = 160,
    ) -> None:
        self.llm = llm
        self.tz = tz
        self.intents = intents
        self.max_tokens = max_tokens

    def applies(self, decision: Decision) -> bool:
        return (
            decision.kind in ("answer_kb", "call_tool", "template")
            and decision.intent in self.intents
            and not decision.ask_slot
        )

    async def reply(
        self,
        *,
        language: str,
        text: str,
        template: Reply,
        result: ToolResult | None,
        error_message: str | None,
        passages: Sequence[Passage],
        empathy: str | None,
        on_token: TokenSink | None = None,
        steer: bool = False,
    ) -> LLMOutcome:
        """`steer`: an out-of-scope turn (see the module docstring); otherwise reword the checked outcome."""
        if steer:
            turn = steer_turn(language, text, empathy)
        else:
            notes = [f"draft reply (facts checked): {template.text}"]
            if empathy:
                notes.append(f"customer mood: {empathy} — acknowledge it first")
            if error_message:
                notes.append(f"tool error: {error_message}")
            turn = build_turn(
                language, text, facts=result.data if result else None, passages=passages, notes=notes, tz=self.tz
            )
        parts: list[str] = []
        try:
            async with aclosing(self.llm.stream(turn.messages, max_tokens=self.max_tokens)) as tokens:
                async for delta in tokens:
                    parts.append(delta)
                    if on_token is not None:
                        await on_token(delta)
        except LLMUnavailable as exc:
            log.warning("LLM unavailable (%s); template reply used", exc.reason)
            return LLMOutcome(template, f"llm_{exc.reason}")
        worded = "".join(parts).strip()
        if not worded:
            return LLMOutcome(template, "llm_empty")
        if steer and not in_language(worded, language):
            return LLMOutcome(template, "language")
        verdict = check_grounded(worded, turn.grounding, tz=self.tz)
        if not verdict.ok:
            log.info("LLM reply failed the grounding guard (%d unsupported facts)", len(verdict.unsupported))
            return LLMOutcome(template, "guard")
        if steer and not steers_back(worded, language):  # the small model often just answers: add the way back
            tail = ("" if language == "zh" else " ") + steer_line(language)
            if on_token is not None:
                await on_token(tail)
            worded += tail
        return LLMOutcome(replace(template, text=worded, source="llm"), None)
