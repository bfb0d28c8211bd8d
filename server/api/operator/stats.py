"""`GET /api/operator/stats`: the supervisor view's figures (handoff rate, CSAT, affect, intents, campaigns).

Supervisors only (router-level dependency, so every route added here is protected too); operators and
marketers get 403. The figures are SQL aggregates computed in `server.db.stats`.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from server.api.deps import RuntimeDep
from server.api.operator.deps import require_role
from server.db.stats import SupervisorStats, supervisor_stats

router = APIRouter(
    prefix="/api/operator", tags=["operator console"], dependencies=[Depends(require_role("supervisor"))]
)


@router.get("/stats", response_model=SupervisorStats)
async def stats(runtime: RuntimeDep, days: Annotated[int, Query(ge=1, le=366)] = 30) -> SupervisorStats:
    """Figures for the last `days` days (store time zone, today included)."""
    return await asyncio.to_thread(
        supervisor_stats,
        runtime.sessions,
        days=days,
        timezone=runtime.settings.store.timezone,
        now=runtime.console.clock(),
    )
