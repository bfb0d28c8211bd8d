"""`/api/demo/*`: helpers for the demo page (only when `KEFU_DEMO` is on)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query

from server.api.deps import RuntimeDep

router = APIRouter(prefix="/api/demo", tags=["demo"])


@router.get("/customers")
async def demo_customers(runtime: RuntimeDep, limit: Annotated[int, Query(ge=1, le=100)] = 12) -> list[dict[str, Any]]:
    return await asyncio.to_thread(runtime.customers.list_demo, limit)
