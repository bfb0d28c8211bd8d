"""`/api/demo/*`: helpers for the demo page (only when `KEFU_DEMO` is on), and when demo mode is refused.

The demo list hands out every demo customer's signature, so whoever can reach it can be any of them: fine for
a demo on one machine, never for a store's real customers. Demo mode is therefore off unless asked for, and
refused in the production shape (PostgreSQL, several workers).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query

from server.api.deps import RuntimeDep

router = APIRouter(prefix="/api/demo", tags=["demo"])


@router.get("/customers")
async def demo_customers(runtime: RuntimeDep, limit: Annotated[int, Query(ge=1, le=100)] = 12) -> list[dict[str, Any]]:
    """The demo customers, each with the signature the store's page would embed (the demo store signs for
    its own demo customers; a real store's backend does this for the signed-in shopper)."""
    customers = await asyncio.to_thread(runtime.customers.list_demo, limit)
    return [{**c, "customer_sig": runtime.identity.sign(c["customer_id"])} for c in customers]
