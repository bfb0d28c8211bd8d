"""`POST /api/identifiers`: the store's backend tells Kefu what it saw on a customer's account — the device a
customer signed in from, a phone or address given on an order, a payment token — for the identity graph.

Server-to-server only: the store backend's API key (`Authorization: Bearer <key>`, `KEFU_IDENTITY_API_KEYS`),
never a browser (no CORS, no cookie). The value is stored as given with its normalised key; a value seen again
only moves its `last_seen` on. The answer says nothing about other accounts.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict, Field

from server.api.deps import RuntimeDep
from server.api.fields import StoredText
from server.db.identities import SqlIdentityStore
from server.errors import ApiError

router = APIRouter(prefix="/api/identifiers", tags=["identity"])


class Identifier(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: StoredText = Field(min_length=1, max_length=16)
    kind: Literal["device", "phone", "address", "payment"]
    value: StoredText = Field(min_length=1, max_length=300)
    source: Literal["sign_in", "session", "order", "profile", "payment"]
    seen_at: datetime | None = None  # default: now


class Recorded(BaseModel):
    customer_id: str
    kind: str
    recorded: bool


@router.post("", status_code=201, response_model=Recorded)
async def record_identifier(body: Identifier, runtime: RuntimeDep,
                            authorization: Annotated[str | None, Header()] = None) -> Recorded:
    """Record one identifier seen on a customer's account (the store backend's API key required)."""
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not runtime.identity.is_api_key(key.strip()):
        raise ApiError(401, "invalid_api_key", "Send the store backend's API key as Authorization: Bearer <key>.")
    seen = body.seen_at or runtime.console.clock()
    if seen.tzinfo is None:
        raise ApiError(422, "invalid_request", "seen_at needs a time zone (e.g. 2026-12-06T10:00:00+08:00).")

    def write() -> None:
        if runtime.customers.get(body.customer_id) is None:
            raise ApiError(404, "unknown_customer", "No such customer.")
        SqlIdentityStore(runtime.sessions).record(body.customer_id, body.kind, body.value.strip(), body.source, seen)

    await asyncio.to_thread(write)
    return Recorded(customer_id=body.customer_id, kind=body.kind, recorded=True)
