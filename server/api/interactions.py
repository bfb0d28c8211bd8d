"""What the customer did with a product card (`POST /api/conversations/{id}/interactions` and the socket's
`interaction` frame share this): validated against the catalogue, rate-limited per conversation, and handed to
the agent (`Agent.interaction`), which records it as a `ProductInteracted` event in the conversation's log, answers
an offer of that product (`OfferAnswered`), and — a product added to the cart or bought — may follow it up with a
cross-sell, a bot message that reaches the customer's channel like any other. Recording it also (through the
runtime's event hook, `tools.marketing.feedback`) writes the live session and the product's trend (in Redis across
workers) and credits the re-ranking bandit with the reward, so the next recommendation in the conversation
(`tools.marketing.recommend_tool`) changes at once, on whichever worker serves it."""

from __future__ import annotations

import asyncio
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.events import ProductInteracted
from server.api.deps import limit
from server.api.fields import StoredText
from server.errors import ApiError
from server.runtime import Runtime

InteractionKind = Literal["viewed", "clicked", "added_to_cart", "purchased"]


class Interaction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: InteractionKind
    product_id: StoredText = Field(min_length=1, max_length=64)


async def record_interaction(runtime: Runtime, conversation_id: str, body: Interaction, ip: str) -> ProductInteracted:
    """Record one interaction; `ApiError` 429 `rate_limited` over `interaction_ip` (one client's conversations
    together) or `interaction_conversation`, 404 `unknown_product` for a product the store does not have (nothing
    is recorded then)."""
    await limit(runtime, "interaction_ip", ip)
    await limit(runtime, "interaction_conversation", conversation_id)
    product = await asyncio.to_thread(runtime.catalog.get, body.product_id)
    if product is None:
        raise ApiError(404, "unknown_product", f"No product {body.product_id!r} in this store.")
    recorded, *_ = await runtime.agent.interaction(conversation_id, body.kind, product.product_id)
    assert isinstance(recorded, ProductInteracted)
    return recorded


def recorded_frame(event: ProductInteracted) -> dict[str, object]:
    """The answer to the client: the REST body and the socket's `interaction_recorded` frame."""
    return {"type": "interaction_recorded", "seq": event.seq, "kind": event.kind, "product_id": event.product_id}
