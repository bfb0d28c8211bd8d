"""`/api/operator/marketing/*`: the console's marketing view — the mined rules with their figures and cross-sell
acceptance, and the click-through of recommendations by source.

Marketers and supervisors only (router-level dependency, so every route added here is protected too); operators
get 403. Bad query parameters get 422 `invalid_request` naming the parameter. What is counted and how:
`server.operators.marketing` and `tools.marketing.outcomes`.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from server.api.deps import RuntimeDep
from server.api.operator.deps import MARKETING_ROLES, require_role
from server.errors import ApiError
from server.operators.marketing import (
    By,
    RecommendationReport,
    RuleSort,
    RulesReport,
    UnknownRuleSet,
    recommendations_report,
    rules_report,
)

router = APIRouter(
    prefix="/api/operator/marketing", tags=["marketing"], dependencies=[Depends(require_role(*MARKETING_ROLES))]
)

Days = Annotated[int, Query(ge=1, le=366, description="The window: this many days up to now.")]


@router.get("/rules", response_model=RulesReport)
async def rules(
    runtime: RuntimeDep,
    rule_set: Annotated[
        str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                          description="Only this rule set (its file name without .json).")
    ] = None,
    by: Annotated[By | None, Query(description="Only rule sets mined by product, category or item.")] = None,
    item: Annotated[
        str | None, Query(min_length=1, max_length=64, description="Rules with an item whose id or name has this.")
    ] = None,
    category: Annotated[
        str | None, Query(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$",
                          description="Rules with a product of this category, or this category itself.")
    ] = None,
    sort: Annotated[RuleSort, Query(description="Largest first; acceptance by its interval's low end.")] = "lift",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    days: Days = 90,
) -> RulesReport:
    """Rule sets found, and their rules with support, confidence, lift and the cross-sell acceptance each earned."""
    try:
        return await asyncio.to_thread(
            rules_report, runtime.sessions, runtime.settings.rules.dir, now=runtime.console.clock(), days=days,
            rule_set=rule_set, by=by, item=item.strip() if item else None, category=category, sort=sort, limit=limit,
        )
    except UnknownRuleSet as exc:
        raise ApiError(404, "unknown_rule_set", f"No rule set named {exc}; run `kefu rules mine` to make one.") from exc


@router.get("/recommendations", response_model=RecommendationReport)
async def recommendations(runtime: RuntimeDep, days: Days = 30) -> RecommendationReport:
    """Impressions, clicks, add-to-carts and purchases of recommended products, by source, policy and tool."""
    return await asyncio.to_thread(recommendations_report, runtime.sessions, now=runtime.console.clock(), days=days)
