"""`/api/operator/customers/{id}/profile` and `/api/operator/marketing/churn`: customer insight in the console.

The profile (RFM, behaviour segment, needs with their words, favourite categories, price band, churn risk) is for
whoever serves or markets to the customer: operators, supervisors and marketers. The at-risk list is the marketing
view's (marketers and supervisors; operators get 403), as every marketing route. What is computed and how:
`server.operators.insight`.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from server.api.deps import RuntimeDep
from server.api.operator.deps import MARKETING_ROLES, STAFF_ROLES, require_role
from server.errors import ApiError
from server.operators.insight import CustomerInsight
from server.runtime import Runtime
from tools.marketing.insight.profile import SEGMENTS

profiles = APIRouter(prefix="/api/operator/customers", tags=["customer insight"],
                     dependencies=[Depends(require_role(*STAFF_ROLES, "marketer"))])
churn = APIRouter(prefix="/api/operator/marketing", tags=["marketing"],
                  dependencies=[Depends(require_role(*MARKETING_ROLES))])
CustomerId = Annotated[str, Path(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")]


def _insight(runtime: Runtime) -> CustomerInsight:
    if runtime.insight is None:
        raise ApiError(503, "insight_unavailable", "Customer insight is not running on this server.")
    return runtime.insight


@profiles.get("/{customer_id}/profile")
async def customer_profile(customer_id: CustomerId, runtime: RuntimeDep) -> dict[str, Any]:
    """The customer's behaviour profile and churn risk."""
    profile = await asyncio.to_thread(_insight(runtime).profile, customer_id)
    if profile is None:
        raise ApiError(404, "unknown_customer", "No such customer.")
    return profile


@churn.get("/churn")
async def churn_list(
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    min_risk: Annotated[float, Query(ge=0, le=1, description="Only customers at least this likely to lapse.")] = 0.0,
    segment: Annotated[str | None, Query(max_length=24, pattern=r"^[a-z_]+$",
                                         description=f"Only this RFM segment: {', '.join(SEGMENTS)}.")] = None,
) -> dict[str, Any]:
    """Customers who ordered in the past year, likeliest to lapse first, with their value and what to look at."""
    if segment is not None and segment not in SEGMENTS:
        raise ApiError(422, "invalid_request", f"segment must be one of {', '.join(SEGMENTS)}.")
    return await asyncio.to_thread(_insight(runtime).at_risk, limit=limit, min_risk=min_risk, segment=segment)
