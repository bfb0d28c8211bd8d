"""What the offer and coupon tools need from the store; `server/db` implements it (blocking SQL: call it
through `asyncio.to_thread`). Plain data out, so the tools test against an in-memory fake."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol, runtime_checkable

from tools.marketing.campaigns.eligibility import CustomerProfile, HeldCoupon
from tools.marketing.campaigns.thresholds import Line


@dataclass(frozen=True, slots=True)
class Basket:
    """Items priced for threshold arithmetic: the cart, or the last order (`order_id` set)."""

    lines: list[Line]
    order_id: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    """Issue one coupon of `campaign_id` to `customer_id`, atomically against the campaign's budget (`cost` is
    what the coupon commits of it) and its per-customer `limit`. `claim_key` makes the claim idempotent: a claim
    with a key already used returns that coupon."""

    campaign_id: str
    customer_id: str
    claim_key: str
    discount: Decimal
    min_spend: Decimal
    expires_at: datetime
    limit: int
    now: datetime
    # accounts linked to the customer (identity graph): a coupon of this campaign held by one refuses the claim
    # (`linked`), checked inside the same atomic claim so two linked accounts racing cannot both get it
    linked: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ClaimOutcome:
    """`issued` (a new coupon), `existing` (the key's coupon, from an earlier try), or refused by what changed
    since the checks: `limit` (the customer has `limit` coupons of the campaign: `coupon` is the latest),
    `budget` (none left), `closed` (paused, ended or outside its window), `linked` (a linked account holds one)."""

    kind: Literal["issued", "existing", "limit", "budget", "closed", "linked"]
    coupon: HeldCoupon | None = None


@runtime_checkable
class CampaignStore(Protocol):
    def campaigns(self) -> list[dict[str, object]]:
        """Every campaign not ended, as stored (`id`, names, `kind`, window, `rules`, `budget`, `spent`,
        `per_customer_limit`, `segments`, `status`); the tools validate them."""

    def campaign(self, campaign_id: str) -> dict[str, object] | None:
        """One campaign as stored, whatever its status, or None."""

    def profile(self, customer_id: str) -> CustomerProfile | None: ...

    def coupons(self, customer_id: str) -> list[HeldCoupon]:
        """Every coupon the customer was issued, any status."""

    def last_order(self, customer_id: str) -> Basket | None:
        """The customer's newest order that was not cancelled, priced as it was bought."""

    def priced(self, product_ids: Sequence[str]) -> list[Line]:
        """The given products at their current prices, one of each (unknown ids left out)."""

    def category_names(self) -> dict[str, tuple[str, str]]:
        """Category key -> (zh, en) name, for saying what a campaign covers."""

    def claim(self, request: ClaimRequest) -> ClaimOutcome: ...


class SharedReads(Protocol):
    def reads(self) -> AbstractContextManager[None]:
        """Inside, this thread's reads of the store (and of the stores on the same database) share one connection:
        an answer that reads a dozen times checks out one, not a dozen."""


def reads_of(store: object) -> AbstractContextManager[None]:
    """The store's shared reads, or nothing for a store without them (an in-memory fake)."""
    reads = getattr(store, "reads", None)  # (not isinstance: a runtime-checkable protocol's check costs ~10 µs)
    return reads() if callable(reads) else nullcontext()
