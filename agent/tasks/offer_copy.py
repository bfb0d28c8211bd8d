"""Offer lines for customers through the LLM interface: one sentence that puts a campaign to a customer from one
angle (plain, limited time, quality) for their shopper segment — the copy variants of
`tools.marketing.campaigns.variants`, written in the background, never while a customer waits.

The machinery is campaign copy's (`agent.tasks.campaign_copy`): the campaign's record worded into a facts block,
the LLM asked within a time budget, and the grounding guard checking every amount, percentage, discount and date of
the line against the record (both languages), so a line cannot promise more than the campaign gives; the claims
table keeps it from saying a coupon was already issued. A line that fails the guard, is in the wrong language, too
long or empty, or an LLM that is absent, fails or runs out of time, gives the template line (the caller's).
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from agent.language import written_in
from agent.llm.fallback import complete_within
from agent.nlg.claims import ClaimTable
from agent.nlg.grounding import check_grounded
from agent.protocols import LLM, ChatMessage, Claim
from agent.tasks.campaign_copy import CampaignFacts, CopyDraft, facts_block
from prompts.llm_tasks import fill, offer_line_phrases, offer_line_prompt, offer_line_turn

log = logging.getLogger(__name__)

# An offer line only offers: that a coupon is already the customer's is never its to say (any coupon's name, beyond
# the store-wide claims table's words).
OFFER_DONE = Claim("offer_line_done", {
    "zh": (r"券[^。！？，,]{0,6}?(?:已|已经)(?:经)?(?:发|到账|放入|存入|领)",
           r"(?:已|已经)(?:为您|帮您|给您|替您)?(?:领|发|送|放)(?:取|放|出|入)?了?[^。！？，,]{0,8}?券"),
    "en": (r"(?:coupon|voucher|bonus)s? (?:has|have|is|was) (?:been )?(?:issued|sent|added|credited|claimed)",
           r"(?:already|just) (?:claimed|issued|added|sent)"),
})
LINE_BUDGET_S = 30.0  # in the background: nobody waits, but the one local model serves customers too
MAX_LINE_CHARS = {"zh": 90, "en": 260}


def offer_facts(facts: CampaignFacts, language: str, tz: str = "Asia/Shanghai") -> str:
    """What a line may state: the campaign's facts block, a claimed coupon's validity, and the store's quality
    promise (its policy: everything it sells is new and genuine)."""
    p = offer_line_phrases(language)
    lines = [facts_block(facts, language, tz)]
    days = facts.rules.get("valid_days")
    if days:
        lines.append(f"- {p['label_validity']}: {fill(p['validity'], days=str(days))}")
    lines.append(f"- {p['label_quality']}: {p['quality']}")
    return "\n".join(lines)


async def draft_offer_line(
    llm: LLM | None, facts: CampaignFacts, *, angle: str, segment: str, language: str, template: str,
    tz: str = "Asia/Shanghai", budget_s: float = LINE_BUDGET_S,
) -> CopyDraft:
    """The line for (campaign, segment, angle, language): the LLM's when it is grounded, else `template`."""

    def fallback(reason: str) -> CopyDraft:
        return CopyDraft(language, template, "template", reason)

    if llm is None:
        return fallback("disabled")
    if budget_s <= 0:
        return fallback("llm_timeout")
    block = offer_facts(facts, language, tz)
    messages = [ChatMessage("system", offer_line_prompt(language, angle=angle, segment=segment)),
                ChatMessage("user", offer_line_turn(language, facts=block, example=template))]
    response = await complete_within(llm, messages, max_tokens=120, budget_s=budget_s)
    if isinstance(response, str):
        return fallback(response)
    text = " ".join(response.text.split()).strip('"“”「」')
    if not text:
        return fallback("empty")
    if len(text) > MAX_LINE_CHARS.get(language, 260):
        return fallback("too_long")
    if not written_in(text, language):
        return fallback("language")
    other = "en" if language == "zh" else "zh"
    zone = ZoneInfo(tz)
    grounding = [block, offer_facts(facts, other, tz), template, facts.starts_at.astimezone(zone).isoformat(),
                 facts.ends_at.astimezone(zone).isoformat()]
    claims = ClaimTable()
    claims.add([OFFER_DONE])
    verdict = check_grounded(text, grounding, tz=tz, claims=claims)
    if not verdict.ok:
        log.info("offer line for %s (%s, %s) failed the guard: %d unsupported, %d promised", facts.id, angle,
                 language, len(verdict.unsupported), len(verdict.promised))
        return fallback("guard")
    return CopyDraft(language, text, "llm")
