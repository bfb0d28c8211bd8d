"""What the offer tools read from a conversation's event log and the store: the cart (products added in this
conversation), the coupons already offered, the customer's last words, and the stored campaigns validated."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError

from agent.events import Event, OfferMade, ProductInteracted, UserUttered
from tools.marketing.campaigns.rules import Campaign

log = logging.getLogger(__name__)


def cart(events: Sequence[Event]) -> list[str]:
    """Products added to the cart in this conversation and not bought since, oldest first."""
    items: dict[str, None] = {}
    for event in events:
        if isinstance(event, ProductInteracted):
            if event.kind == "added_to_cart":
                items[event.product_id] = None
            elif event.kind == "purchased":
                items.pop(event.product_id, None)
    return list(items)


# Offers whose `offer_id` is a campaign that may give a coupon (a cross-sell offers a product).
COUPON_OFFER_KINDS = ("coupon", "trade_in")


def coupons_offered(events: Sequence[Event]) -> list[str]:
    """Campaigns whose coupon was offered in this conversation, most recent offer first."""
    return list(dict.fromkeys(cid for batch in coupons_offered_by_turn(events) for cid in batch))


def coupons_offered_by_turn(events: Sequence[Event]) -> list[list[str]]:
    """The campaigns whose coupon was offered, grouped by the customer turn the offers followed, the latest turn
    first ("要这张" right after an offer means that offer)."""
    batches: list[list[str]] = []
    current: list[str] = []
    for event in events:
        if isinstance(event, UserUttered):
            if current:
                batches.append(current)
            current = []
        elif isinstance(event, OfferMade) and event.kind in COUPON_OFFER_KINDS and event.offer_id not in current:
            current.append(event.offer_id)
    if current:
        batches.append(current)
    return batches[::-1]


def last_words(events: Sequence[Event]) -> str:
    """What the customer said last (this turn's message, once the pipeline has recorded it)."""
    return next((e.text for e in reversed(events) if isinstance(e, UserUttered)), "")


def campaigns_from(rows: Iterable[dict[str, Any]]) -> list[Campaign]:
    """Stored campaigns as `Campaign`s; a row whose rules do not validate is left out (and logged), never
    offered on a guess."""
    out = []
    for row in rows:
        try:
            out.append(Campaign.model_validate(row))
        except ValidationError as exc:
            log.warning("campaign %s left out of offers: %s", row.get("id"), exc.errors()[0].get("msg"))
    return out


def live_campaigns(store: Any) -> list[Campaign]:
    """The store's campaigns not ended, validated: by the store itself when it can reuse its validation
    (`SqlCampaignStore.live_campaigns`), else `campaigns_from(store.campaigns())`. The models may be shared with other
    turns: read them, never change them (`model_copy` makes a changed one)."""
    own = getattr(store, "live_campaigns", None)
    return list(own()) if callable(own) else campaigns_from(store.campaigns())
