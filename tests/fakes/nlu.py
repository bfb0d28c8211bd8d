"""A rule-table NLU for pipeline tests that should not depend on the trained intent model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from agent.nlu import NLUResult
from agent.nlu.slots import SlotExtractor
from tests.fakes.commerce import LEXICON, NOW

# keyword -> agent-level intent; the first keyword found in the lower-cased text wins, so specific before general
INTENT_KEYWORDS: dict[str, str] = {
    "人工": "human",
    "human": "human",
    "real person": "human",
    "退货": "return_request",
    "return": "return_request",
    "refund": "return_request",
    "到哪": "order_status",
    "快递": "order_status",
    "物流": "order_status",
    "where is": "order_status",
    "package": "order_status",
    "想买": "product_search",
    "do you have": "product_search",
    "优惠": "coupon_question",
    "coupon": "coupon_question",
    "政策": "policy_question",
    "发票": "policy_question",
    "policy": "policy_question",
    "invoice": "policy_question",
    "太差": "complaint",
    "气死": "complaint",
    "垃圾": "complaint",
    "ridiculous": "complaint",
    "worst": "complaint",
    "谢谢": "thanks",
    "thank": "thanks",
    "你好": "greeting",
    "hello": "greeting",
}
ANSWERS = {"yes": "affirm", "好的": "affirm", "是的": "affirm", "no": "deny", "不用了": "deny"}


class FakeNLU:
    """Implements `agent.nlu.NLUReader`. Intents come from a keyword table (`INTENT_KEYWORDS`, overridden or
    extended by `keywords`) at a fixed `confidence`, one-word answers from `ANSWERS`, an order id alone is an
    order lookup, anything else is `other`. Slots come from the real slot extractor (regular expressions:
    order ids, dates, amounts, the lexicon's categories). Every parsed text is kept in `parsed`."""

    def __init__(
        self,
        keywords: Mapping[str, str] | None = None,
        *,
        categories: Mapping[str, Sequence[str]] = LEXICON,
        confidence: float = 0.95,
        today: date | None = None,
    ) -> None:
        self.keywords = {**INTENT_KEYWORDS, **(keywords or {})}
        self.confidence = confidence
        self.slots = SlotExtractor(categories, None, today or NOW.date())
        self.parsed: list[str] = []

    def parse(self, text: str) -> NLUResult:
        self.parsed.append(text)
        slots = self.slots.extract(text.strip())
        lowered = text.strip().lower()
        intent = ANSWERS.get(lowered.rstrip("!.。！")) or next(
            (intent for word, intent in self.keywords.items() if word in lowered), None
        )
        if intent is None:
            intent = "order_status" if "order_id" in slots else "other"
        return NLUResult(intent, self.confidence if intent != "other" else 0.3, [], slots, intent)

    def category(self, text: str) -> str | None:
        return self.slots.category(text)
