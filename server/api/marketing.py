"""`/api/operator/campaigns/{id}/copy`: promotional copy for marketers, zh and en, from the campaign's record;
`/api/operator/campaigns/{id}/readout`: how the campaign is doing (`server.operators.campaign_readout`).

Only marketers and supervisors (router-level dependency, so a route added here is protected by default);
operators get 403. The LLM drafts the copy within a time budget and the grounding guard checks it against
the record; otherwise the template copy answers. Each language says which path answered.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from agent.tasks.campaign_copy import COPY_BUDGET_S, CampaignFacts, draft_campaign_copy
from server.api.deps import RuntimeDep
from server.api.operator.deps import MARKETING_ROLES, require_role
from server.db.campaigns import CampaignRepository
from server.errors import ApiError
from server.operators.campaign_readout import CampaignReadout, campaign_readout

router = APIRouter(
    prefix="/api/operator/campaigns", tags=["marketing"], dependencies=[Depends(require_role(*MARKETING_ROLES))]
)

CampaignId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]


@router.post("/{campaign_id}/copy")
async def campaign_copy(campaign_id: CampaignId, runtime: RuntimeDep) -> dict[str, Any]:
    """`{"campaign_id", "source": "llm"|"template"|"mixed", "copy": {"zh"|"en": {"text", "source", "fallback"}}}`."""
    record = await asyncio.to_thread(CampaignRepository(runtime.sessions).get, campaign_id)
    if record is None:
        raise ApiError(404, "unknown_campaign", "No such campaign.")
    facts = CampaignFacts(**record)
    drafts = await draft_campaign_copy(
        runtime.llm,
        facts,
        tz=runtime.settings.store.timezone,
        budget_s=max(COPY_BUDGET_S, runtime.settings.llm.timeout_s),
    )
    sources = {d.source for d in drafts.values()}
    return {
        "campaign_id": facts.id,
        "source": sources.pop() if len(sources) == 1 else "mixed",
        "copy": {lang: {"text": d.text, "source": d.source, "fallback": d.fallback} for lang, d in drafts.items()},
    }


@router.get("/{campaign_id}/readout", response_model=CampaignReadout)
async def readout(campaign_id: CampaignId, runtime: RuntimeDep) -> CampaignReadout:
    """Offers shown, coupons claimed and redeemed, claim and redemption rates (95% intervals), spend against
    budget, by segment and by day; `experiments` null until the store has experiments."""
    found = await asyncio.to_thread(campaign_readout, runtime.sessions, campaign_id, now=runtime.agent.clock(),
                                    tz=runtime.settings.store.timezone)
    if found is None:
        raise ApiError(404, "unknown_campaign", "No such campaign.")
    return found
