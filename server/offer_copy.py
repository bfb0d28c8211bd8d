"""The writer of offer lines for `tools.marketing.campaigns.variants.VariantBook`: the LLM task
`agent.tasks.offer_copy` on the store's campaign (its record, its categories' names), within a time budget. The
book calls it in the background; it answers None whenever the template should stay."""

from __future__ import annotations

from agent.protocols import LLM
from agent.tasks.campaign_copy import CampaignFacts
from agent.tasks.offer_copy import LINE_BUDGET_S, draft_offer_line
from tools.marketing.campaigns.variants import CopyRequest


class LLMCopyWriter:
    """`tools.marketing.campaigns.variants.CopyWriter` through the configured LLM."""

    def __init__(self, llm: LLM, *, tz: str = "Asia/Shanghai", budget_s: float = LINE_BUDGET_S) -> None:
        self._llm = llm
        self._tz = tz
        self._budget_s = budget_s

    async def write(self, request: CopyRequest) -> str | None:
        c = request.campaign
        keys = {*c.rules.categories, *c.rules.exclude_categories}
        facts = CampaignFacts(id=c.id, name_zh=c.name_zh, name_en=c.name_en, starts_at=c.starts_at,
                              ends_at=c.ends_at, rules=c.rules.data(),
                              categories={k: request.categories[k] for k in keys if k in request.categories},
                              segments=list(c.segments))
        draft = await draft_offer_line(self._llm, facts, angle=request.variant, segment=request.segment,
                                       language=request.language, template=request.template, tz=self._tz,
                                       budget_s=self._budget_s)
        return draft.text if draft.source == "llm" else None
