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
from server.infra.locks import is_postgres
from server.settings import Settings

router = APIRouter(prefix="/api/demo", tags=["demo"])


class DemoRefused(RuntimeError):
    """Demo mode was asked for where real customers may be served."""


def check_demo(settings: Settings, workers: int = 1) -> None:
    """Raise `DemoRefused` when demo mode is on with PostgreSQL or more than one worker."""
    if not settings.store.demo:
        return
    if workers > 1:
        raise DemoRefused("demo mode (KEFU_DEMO) runs on one worker only: it lists every demo customer with "
                          "their signature. Unset KEFU_DEMO to serve with several workers.")
    if is_postgres(settings.db.url):
        raise DemoRefused("demo mode (KEFU_DEMO) is refused on PostgreSQL, the production database: it lists "
                          "customers with their signatures, so anyone could be any of them. Unset KEFU_DEMO.")


@router.get("/customers")
async def demo_customers(runtime: RuntimeDep, limit: Annotated[int, Query(ge=1, le=100)] = 12) -> list[dict[str, Any]]:
    """The demo customers, each with the signature the store's page would embed (the demo store signs for
    its own demo customers; a real store's backend does this for the signed-in shopper)."""
    customers = await asyncio.to_thread(runtime.customers.list_demo, limit)
    return [{**c, "customer_sig": runtime.identity.sign(c["customer_id"])} for c in customers]
