"""LLM-worded replies, grounded and guarded; the template reply stays the fallback.

The deterministic engine has already decided and acted (tool results, passages, the template reply);
the LLM only rewords that outcome for the customer. A reply whose order ids, amounts, dates, statuses or
policy figures are not in the grounding, that claims an action no tool took this turn ("your refund is
approved", "I'll add compensation": `agent.nlg.claims`), or an LLM that errors, stalls or times out, gives
way to the template reply, and the reason is recorded.

Nothing unchecked reaches the customer: every LLM reply — fact turns (tool results, policy passages) and
chit-chat alike — streams sentence by sentence, each released only once the reply up to its end has passed
the check (`SentenceGate`). The first failing sentence stops the stream and the template answers; the widget
replaces the streamed bubble with the final message. One rule for every turn: the steer-back replies have
an empty grounding, so any figure in them fails, and a policy answer's figures are checked like an order's;
the cost is that the first words wait for the end of the first sentence.

The first words need not wait for the model. With a backend that writes on from a reply already begun (the local
model: `agent.llm.base.continues`) and a streaming channel, a fact turn says the template's first sentence at once
(`lead_sentence`: the engine's own words, checked by construction) and the model continues from it — prompted with
it as the start of its own reply, so it neither repeats nor contradicts it — through the same gate. On two CPU
cores reading the turn's facts alone takes the model 2–3 s; this way the customer reads the answer meanwhile. A
continuation that adds nothing gets the template's other sentences, and one that fails a check gives way to the
template as before (whose first sentence is the one already shown).

Out-of-scope turns (the policy's `fallback` template: chit-chat, or a message the engine could not read)
are the one place where the LLM writes freely: a short reply in the customer's language that steers back
to what the store can help with. It is given no facts, so the guard refuses any order id, amount, date,
figure or status in it, and a reply in the wrong language is refused too. A reply that does not come back
to orders, returns, products or offers by itself gets the store's steer-back sentence added (streamed too).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import aclosing
from dataclasses import replace

from agent.language import written_in
from agent.llm.base import continues
from agent.nlg.claims import ClaimTable, licenses_of
from agent.nlg.grounding import Guard
from agent.nlg.leaks import plays_along, repeats_instructions
from agent.nlg.messages import PromptedTurn, build_turn
from agent.policy import STEER_TEMPLATE, Decision
from agent.protocols import LLM, Acted, ChatMessage, LLMUnavailable, Passage, Reply, Tool, WordedReply
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
        claims: ClaimTable | None = None,
        lead: bool = True,
        continue_tokens: int = 48,
        max_passages: int = 1,
    ) -> None:
        """`lead`: say the template's first sentence at once where the backend can continue it (see the module
        docstring), and bound the continuation to `continue_tokens`. `max_passages`: how many of the best retrieved
        passages the model reads, less those the draft already quotes (`prompt_passages`)."""
        self.llm = llm
        self.tz = tz
        self.max_tokens = max_tokens
        self.claims = claims or ClaimTable()
        self.lead = lead
        self.continue_tokens = continue_tokens
        self.max_passages = max_passages

    def add_tools(self, tools: Iterable[Tool]) -> None:
        """The registered tools' own claims of action (`Tool.claims`) are checked in every reply."""
        self.claims.add_tools(tools)

    def applies(self, decision: Decision) -> bool:
        """The policy (or the tool that planned the call) says whether a reply may be worded by the LLM;
        asking for a slot, handoffs and silence stay templated."""
        return decision.kind in ("answer_kb", "call_tool", "template") and decision.llm_words and not decision.ask_slot

    async def reply(
        self, decision: Decision, acted: Acted, template: Reply, on_token: TokenSink | None = None
    ) -> WordedReply:
        """An out-of-scope turn (the policy's steer-back template) is written freely, with no facts (see the
        module docstring); any other turn rewords the checked outcome. Only checked sentences reach `on_token`."""
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
            passages = prompt_passages(acted.passages, template.text, self.max_passages)
            turn = build_turn(
                language, text, facts=result.data if result else None, passages=passages, notes=notes, tz=self.tz
            )
        licenses = licenses_of(result, acted.tool.name if acted.tool is not None and acted.error is None else None)
        # done-claims only from the draft (the tools' outcome), never from a retrieved passage
        guard = Guard(turn.grounding, tz=self.tz, claims=self.claims, licenses=licenses, draft_texts=[template.text])

        failed: list[str] = []  # why the reply was refused: guard | leak (its rules, a jailbreak) | language
        instructions = turn.messages[0].content

        def passes(words: str) -> bool:
            verdict = guard.check(words)
            if not verdict.ok:
                log.info(
                    "LLM reply failed the grounding guard (%d unsupported facts, %d unlicensed claims)",
                    len(verdict.unsupported),
                    len(verdict.promised),
                )
                failed.append("guard")
            elif repeats_instructions(words, instructions) or plays_along(words):  # never streamed either
                log.info("LLM reply repeated its instructions or played along with a jailbreak")
                failed.append("leak")
            elif steer and not written_in(words, language):
                failed.append("language")
            return not failed

        gate = SentenceGate(passes, on_token)
        messages, budget = turn.messages, self.max_tokens
        lead = lead_sentence(template.text) if self.lead and on_token is not None and not steer else ""
        if lead and continues(self.llm):
            messages, budget = [*messages, ChatMessage("assistant", lead)], self.continue_tokens
            await gate.say(lead)
        else:
            lead = ""
        deltas = 0
        try:
            async with aclosing(self.llm.stream(messages, max_tokens=budget)) as tokens:
                async for delta in tokens:
                    deltas += 1
                    if not await gate.feed(delta):
                        return WordedReply(template, failed[-1])
        except LLMUnavailable as exc:
            log.warning("LLM unavailable (%s); template reply used", exc.reason)
            return WordedReply(template, f"llm_{exc.reason}")
        if deltas >= budget:
            gate.drop_tail()  # cut off by the token budget: an unfinished sentence is not said
        worded = gate.text
        if lead and len(worded) <= len(lead):  # the model added nothing: the template says the rest
            await gate.say(template.text.strip()[len(lead) :])
            return WordedReply(template, "llm_empty")
        if not worded:
            return WordedReply(template, "llm_empty")
        if not passes(worded):
            return WordedReply(template, failed[-1])
        await gate.finish()
        if steer and not steers_back(worded, language):  # the small model often just answers: add the way back
            tail = ("" if language == "zh" else " ") + steer_line(language)
            if on_token is not None:
                await on_token(tail)
            worded += tail
        return WordedReply(replace(template, text=worded, source="llm"), None)


# the end of a sentence: CJK or ASCII end punctuation, or a line break; "." only before whitespace ("¥199.00",
# "v1.2" and "KF100.…" are no ends)
_SENTENCE_END = re.compile(r"[。！？；!?;\n]|\.(?=\s)")


class SentenceGate:
    """Holds a streamed reply back until a whole sentence has passed the check, then releases it.

    The check sees the reply from its start up to the end of the newest complete sentence, so a fact that spans
    sentences is read whole. The first failing sentence stops the stream: what was released stands, nothing
    after it is shown, and the turn's final message (the template) replaces the streamed bubble. The tail
    after the last sentence end is released by `finish`, once the caller has checked the whole reply.
    """

    def __init__(self, check: Callable[[str], bool], sink: TokenSink | None) -> None:
        self._check = check
        self._sink = sink
        self._raw: list[str] = []
        self.released = 0  # characters of `text` already given to the sink

    @property
    def text(self) -> str:
        return "".join(self._raw).strip()

    async def feed(self, delta: str) -> bool:
        """Take one delta; release any newly completed, checked sentences. False: a sentence failed."""
        self._raw.append(delta)
        text = "".join(self._raw).lstrip()
        end = 0
        for m in _SENTENCE_END.finditer(text, self.released):
            end = m.end()
        if end <= self.released:
            return True
        if not self._check(text[:end].rstrip()):
            return False
        await self._emit(text[self.released : end])
        self.released = end
        return True

    async def say(self, text: str) -> None:
        """Release `text` unchecked: words the engine itself wrote (the template's lead sentence)."""
        if not text:
            return
        self._raw.append(text)
        await self._emit(text)
        self.released = len("".join(self._raw).lstrip())

    def drop_tail(self) -> None:
        """Forget what follows the last released sentence (a reply cut off mid-sentence)."""
        self._raw = ["".join(self._raw).lstrip()[: self.released]]

    async def finish(self) -> None:
        """Release the rest of the (already checked) reply."""
        text = self.text
        await self._emit(text[self.released :])
        self.released = len(text)

    async def _emit(self, piece: str) -> None:
        if piece and self._sink is not None:
            await self._sink(piece)


def prompt_passages(passages: Sequence[Passage], draft: str, limit: int) -> list[Passage]:
    """The retrieved passages worth the model's reading time: the best `limit` of them, less those the draft reply
    already quotes whole (the draft is in the prompt too, as checked facts).

    Every prompt token after the cached system prompt is read anew each turn (~75 tokens/s on two cores, far less on a
    busy machine): the top three passages plus a draft quoting the first made an English policy turn ~450 tokens, ~6 s
    before the first token, and the 8 s first-token budget ran out whenever the machine was busy. The draft answers
    from the top passage; the others were mostly neighbouring policies (privacy for a warranty question).
    """
    quoted = " ".join(draft.split())
    return [p for p in passages[:limit] if " ".join(p.text.split()) not in quoted]


def lead_sentence(text: str) -> str:
    """The first sentence of `text` with its end mark (the whole text when it has no sentence end)."""
    text = text.strip()
    m = _SENTENCE_END.search(text)
    return text[: m.end()] if m else text
