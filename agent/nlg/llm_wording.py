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
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from dataclasses import replace

from agent.language import written_in
from agent.nlg.grounding import check_grounded
from agent.nlg.leaks import repeats_instructions
from agent.nlg.messages import PromptedTurn, build_turn
from agent.policy import STEER_TEMPLATE, Decision
from agent.protocols import LLM, Acted, ChatMessage, LLMUnavailable, Reply, WordedReply
from prompts.chat import system_prompt
from prompts.llm_tasks import chitchat_turn, steer_line, steers_back

log = logging.getLogger(__name__)

TokenSink = Callable[[str], Awaitable[None]]


def steer_turn(language: str, text: str, empathy: str | None = None) -> PromptedTurn:
    """An out-of-scope turn: the store's system prompt (its KV cache stays warm), the steer-back task and
    the customer's words. The grounding is empty: the reply may state no facts at all."""
    messages = [
        ChatMessage("system", system_prompt(language)),
        ChatMessage("user", chitchat_turn(language, text, mood=empathy)),
    ]
    return PromptedTurn(messages=messages, grounding=[])


class LLMResponder:
    def __init__(
        self,
        llm: LLM,
        *,
        tz: str = "Asia/Shanghai",
        max_tokens: int = 160,
    ) -> None:
        self.llm = llm
        self.tz = tz
        self.max_tokens = max_tokens

    def applies(self, decision: Decision) -> bool:
        """The policy (or the tool that planned the call) says whether a reply may be worded by the LLM;
        asking for a slot, handoffs and silence stay templated."""
        return decision.kind in ("answer_kb", "call_tool", "template") and decision.llm_words and not decision.ask_slot

    async def reply(
        self, decision: Decision, acted: Acted, template: Reply, on_token: TokenSink | None = None
    ) -> WordedReply:
        """An out-of-scope turn (the policy's steer-back template) is written freely, with no facts (see the
        module docstring); any other turn rewords the checked outcome."""
        language, text, empathy, result = acted.language, acted.text, decision.empathy, acted.result
        error_message = acted.error.message if acted.error else None
        steer = decision.template == STEER_TEMPLATE
        if steer:
            turn = steer_turn(language, text, empathy)
        else:
            notes = [f"draft reply (facts checked): {template.text}"]
            if empathy:
                notes.append(f"customer mood: {empathy} — acknowledge it first")
            if error_message:
                notes.append(f"tool error: {error_message}")
            turn = build_turn(
                language, text, facts=result.data if result else None, passages=acted.passages, notes=notes, tz=self.tz
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
            return WordedReply(template, f"llm_{exc.reason}")
        worded = "".join(parts).strip()
        if not worded:
            return WordedReply(template, "llm_empty")
        if steer and not written_in(worded, language):
            return WordedReply(template, "language")
        verdict = check_grounded(worded, turn.grounding, tz=self.tz)
        if not verdict.ok:
            log.info("LLM reply failed the grounding guard (%d unsupported facts)", len(verdict.unsupported))
            return WordedReply(template, "guard")
        if repeats_instructions(worded, turn.messages[0].content):
            log.info("LLM reply repeated its instructions")
            return WordedReply(template, "leak")
        if steer and not steers_back(worded, language):  # the small model often just answers: add the way back
            tail = ("" if language == "zh" else " ") + steer_line(language)
            if on_token is not None:
                await on_token(tail)
            worded += tail
        return WordedReply(replace(template, text=worded, source="llm"), None)
