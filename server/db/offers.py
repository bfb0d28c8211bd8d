"""`SqlCampaignStore`: what the offer and coupon tools read and write (`tools.marketing.campaigns.ports`).

The claim is one transaction that starts with a conditional UPDATE of the campaign (`spent + cost <= budget`,
status active, inside its window): on PostgreSQL that UPDATE takes the campaign's row lock, and a second claim
waits for it, then re-checks the condition against the committed row; on SQLite it takes the write lock first.
So the budget can never be overspent, and the per-customer count read after it sees every claim committed
before. Anything refused rolls the UPDATE back. A claim key already used returns its coupon (idempotent); the
unique index on `claim_key` settles two tries of one claim racing each other.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, bindparam, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, sessionmaker

from server.db.campaigns import campaign_record
from server.db.models import Campaign, Category, Coupon, Customer, Order, OrderLine, Product
from server.db.reads import reading, shared_reads
from server.db.rows import Validated
from tools.marketing.campaigns import Basket, ClaimOutcome, ClaimRequest, CustomerProfile, HeldCoupon, Line
from tools.marketing.campaigns import Campaign as CampaignModel
from tools.marketing.campaigns.conversation import campaigns_from
from tools.marketing.campaigns.rules import coupon_code
from tools.marketing.campaigns.variants import NAMES_TTL_S
from tools.marketing.segments import ShopperHistory

CODE_TRIES = 5
HISTORY_ORDERS = 50  # the newest orders a shopper's segment is read from


_IDS = bindparam("ids", expanding=True)
_RECENT = (
    select(Order.id.label("order_id"), Order.customer_id)
    .where(Order.customer_id == bindparam("customer_id"), Order.status != "cancelled")
    .order_by(Order.placed_at.desc(), Order.id.desc())
    .limit(HISTORY_ORDERS)
    .subquery()
)
# How many of the recent orders used a coupon: uncorrelated, so the (unindexed) coupons are read once per call.
_WITH_COUPON = (
    select(func.count(func.distinct(Coupon.used_order_id)))
    .where(Coupon.used_order_id.in_(select(_RECENT.c.order_id)))
    .scalar_subquery()
)
# One row per recent order, or one row with no order id for a customer without any; none for an unknown customer.
_HISTORY_ORDERS = (
    select(Customer.id, _RECENT.c.order_id, _WITH_COUPON.label("with_coupon"))
    .outerjoin(_RECENT, _RECENT.c.customer_id == Customer.id)
    .where(Customer.id == bindparam("customer_id"))
)
_SHELF = aliased(Product)
# Each line bought, with its category's product count and how many of them are priced below it and the same
# (`tools.marketing.segments.price_position`, counted by the database); the category always holds the product.
_BOUGHT = (
    select(
        OrderLine.id,
        func.count(_SHELF.id).label("shelf"),
        func.coalesce(func.sum(case((_SHELF.price < OrderLine.unit_price, 1), else_=0)), 0).label("below"),
        func.coalesce(func.sum(case((_SHELF.price == OrderLine.unit_price, 1), else_=0)), 0).label("same"),
    )
    .join(Product, Product.id == OrderLine.product_id)
    .join(_SHELF, _SHELF.category_key == Product.category_key)
    .where(OrderLine.order_id.in_(_IDS))
    .group_by(OrderLine.id)
    .order_by(OrderLine.id)
)


class _Refused(Exception):
    def __init__(self, outcome: ClaimOutcome) -> None:
        super().__init__(outcome.kind)
        self.outcome = outcome


def _held(c: Coupon | Row[Any]) -> HeldCoupon:
    return HeldCoupon(
        code=c.code,
        campaign_id=c.campaign_id,
        discount=c.discount,
        min_spend=c.min_spend,
        expires_at=c.expires_at,
        status=c.status,
        claim_key=c.claim_key,
    )


# The reads every offer turn makes (the offers tool, the proactive offer after a met need), as Core statements on the
# session's connection: the ORM's per-statement work (entity loading, identity map) cost several times SQLite's own.
_CAMPAIGNS = Campaign.__table__
_LIVE_CAMPAIGNS = (
    select(_CAMPAIGNS).where(_CAMPAIGNS.c.status != "ended").order_by(_CAMPAIGNS.c.starts_at, _CAMPAIGNS.c.id)
)
_PROFILE = select(  # the customer's tier and how many of their orders stand (none: an unknown customer)
    Customer.tier,
    select(func.count(Order.id))
    .where(Order.customer_id == Customer.id, Order.status != "cancelled")
    .scalar_subquery()
    .label("orders"),
).where(Customer.id == bindparam("customer_id"))
_COUPONS = Coupon.__table__
_HELD = (
    select(_COUPONS)
    .where(_COUPONS.c.customer_id == bindparam("customer_id"))
    .order_by(_COUPONS.c.expires_at, _COUPONS.c.code)
)
_LAST_ORDER = (
    select(Order.id)
    .where(Order.customer_id == bindparam("customer_id"), Order.status != "cancelled")
    .order_by(Order.placed_at.desc(), Order.id.desc())
    .limit(1)
    .subquery()
)
# The newest order's lines in one statement: one row per line, or one row without a line for an order without lines (a
# line whose product is gone is left out, as the inner join of two statements did). Two LEFT JOINs, not one onto a
# nested join: SQLite materialises a nested join whole (every order line, ~3 ms), and looks these up by index.
_LAST_ORDER_LINES = (
    select(_LAST_ORDER.c.id, Product.id.label("known"), OrderLine.product_id, Product.category_key,
           OrderLine.unit_price, OrderLine.quantity)
    .select_from(_LAST_ORDER)
    .outerjoin(OrderLine, OrderLine.order_id == _LAST_ORDER.c.id)
    .outerjoin(Product, Product.id == OrderLine.product_id)
    .order_by(OrderLine.id)
)
_CATEGORY_NAMES = select(Category.key, Category.name_zh, Category.name_en)


class SqlCampaignStore:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory
        self._validated: Validated[CampaignModel] = Validated(
            lambda rows: campaigns_from(campaign_record(c) for c in rows)
        )
        self._names: tuple[float, dict[str, tuple[str, str]]] | None = None  # (read at, category names)

    def reads(self) -> AbstractContextManager[None]:
        """One session (one pooled connection) for the reads inside, on this thread: the offers answer's reads,
        here and in the experiment and identity stores on the same sessions (`server.db.reads`)."""
        return shared_reads(self._sessions)

    def _live_rows(self) -> list[Row[Any]]:
        with reading(self._sessions) as s:
            return s.connection().execute(_LIVE_CAMPAIGNS).all()

    def campaigns(self) -> list[dict[str, Any]]:
        return [campaign_record(c) for c in self._live_rows()]

    def live_campaigns(self) -> list[CampaignModel]:
        """`campaigns()` validated (`campaigns_from`), read on every call: the validation is reused only while the
        rows read are equal to those it was made from, so a change by any worker (a pause, a claim's `spent`) is
        seen by the next read, with no staleness."""
        return self._validated(self._live_rows())

    def campaign(self, campaign_id: str) -> dict[str, Any] | None:
        with reading(self._sessions) as s:
            c = s.get(Campaign, campaign_id)
            return campaign_record(c) if c is not None else None

    def profile(self, customer_id: str) -> CustomerProfile | None:
        with reading(self._sessions) as s:
            row = s.connection().execute(_PROFILE, {"customer_id": customer_id}).first()
        if row is None or row.tier is None:
            return None
        return CustomerProfile(customer_id, row.tier, int(row.orders or 0))

    def coupons(self, customer_id: str) -> list[HeldCoupon]:
        with reading(self._sessions) as s:
            return [_held(c) for c in s.connection().execute(_HELD, {"customer_id": customer_id})]

    def last_order(self, customer_id: str) -> Basket | None:
        with reading(self._sessions) as s:
            rows = s.connection().execute(_LAST_ORDER_LINES, {"customer_id": customer_id}).all()
        if not rows:
            return None
        return Basket([Line(r.product_id, r.category_key, Decimal(r.unit_price) * r.quantity) for r in rows
                       if r.known is not None], order_id=rows[0].id)

    def priced(self, product_ids: Sequence[str]) -> list[Line]:
        ids = list(dict.fromkeys(product_ids))
        if not ids:
            return []
        with reading(self._sessions) as s:
            found = {
                p: Line(p, cat, price)
                for p, cat, price in s.execute(
                    select(Product.id, Product.category_key, Product.price).where(Product.id.in_(ids))
                )
            }
        return [found[p] for p in ids if p in found]

    def category_names(self) -> dict[str, tuple[str, str]]:
        """Re-read every `NAMES_TTL_S`, as the offer copy's names are (`VariantBook.names`): categories change with a
        catalogue import, not between two turns, and every offer answer names them."""
        now = time.monotonic()
        cached = self._names
        if cached is None or now - cached[0] > NAMES_TTL_S:
            with reading(self._sessions) as s:
                cached = (now, {k: (zh, en) for k, zh, en in s.connection().execute(_CATEGORY_NAMES)})
            self._names = cached
        return dict(cached[1])

    def history(self, customer_id: str) -> ShopperHistory | None:
        """The customer's newest orders (not cancelled), how many used a coupon, and where what they bought sits in
        its category's price range (`tools.marketing.segments.HistorySource`).

        Two Core statements on every offer turn: the customer with their order ids (and how many used a coupon), and
        the lines bought with the counts of their category's products priced below and the same (counted in SQL,
        so no category's shelf is carried over; the formula is `price_position`'s)."""
        with reading(self._sessions) as s:
            conn = s.connection()
            rows = conn.execute(_HISTORY_ORDERS, {"customer_id": customer_id}).all()
            if not rows:
                return None
            orders = [r.order_id for r in rows if r.order_id is not None]
            if not orders:
                return ShopperHistory(0, 0, None)
            with_coupon = rows[0].with_coupon or 0
            bought = conn.execute(_BOUGHT, {"ids": orders}).all()
        positions = [(int(r.below) + 0.5 * int(r.same)) / int(r.shelf) for r in bought]
        return ShopperHistory(len(orders), int(with_coupon), sum(positions) / len(positions) if positions else None)

    def coupon_by_key(self, claim_key: str) -> HeldCoupon | None:
        with self._sessions() as s:
            c = s.scalar(select(Coupon).where(Coupon.claim_key == claim_key))
            return _held(c) if c is not None else None

    def claim(self, request: ClaimRequest) -> ClaimOutcome:
        """Issue the coupon, or say why not (see the module docstring for why this is atomic)."""
        existing = self.coupon_by_key(request.claim_key)
        if existing is not None:
            return ClaimOutcome("existing", existing)
        for _ in range(CODE_TRIES):
            try:
                return self._claim_once(request, coupon_code())
            except _Refused as refused:
                return refused.outcome
            except IntegrityError:  # the same claim won elsewhere (claim_key), or a code collision: look again
                existing = self.coupon_by_key(request.claim_key)
                if existing is not None:
                    return ClaimOutcome("existing", existing)
        raise RuntimeError("could not find a free coupon code")

    def _claim_once(self, r: ClaimRequest, code: str) -> ClaimOutcome:
        with self._sessions.begin() as s:
            charged = s.execute(
                update(Campaign)
                .where(
                    Campaign.id == r.campaign_id,
                    Campaign.status == "active",
                    Campaign.starts_at <= r.now,
                    Campaign.ends_at >= r.now,
                    or_(Campaign.budget.is_(None), Campaign.spent + r.discount <= Campaign.budget),
                )
                .values(spent=Campaign.spent + r.discount)
                .execution_options(synchronize_session=False)
            )
            if charged.rowcount != 1:
                c = s.get(Campaign, r.campaign_id)
                open_now = c is not None and c.status == "active" and c.starts_at <= r.now <= c.ends_at
                raise _Refused(ClaimOutcome("budget" if open_now else "closed"))
            again = s.scalar(select(Coupon).where(Coupon.claim_key == r.claim_key))
            if again is not None:  # the same claim, committed by another worker while this one waited
                raise _Refused(ClaimOutcome("existing", _held(again)))
            mine = s.scalars(
                select(Coupon)
                .where(Coupon.campaign_id == r.campaign_id, Coupon.customer_id == r.customer_id)
                .order_by(Coupon.expires_at.desc())
            ).all()
            if len(mine) >= r.limit:
                raise _Refused(ClaimOutcome("limit", _held(mine[0])))
            if r.linked and s.scalar(
                select(func.count(Coupon.code)).where(
                    Coupon.campaign_id == r.campaign_id, Coupon.customer_id.in_(r.linked)
                )
            ):
                raise _Refused(ClaimOutcome("linked"))
            coupon = Coupon(
                code=code,
                campaign_id=r.campaign_id,
                customer_id=r.customer_id,
                discount=r.discount,
                min_spend=r.min_spend,
                expires_at=r.expires_at,
                status="issued",
                issued_at=r.now,
                claim_key=r.claim_key,
            )
            s.add(coupon)
            s.flush()
            return ClaimOutcome("issued", _held(coupon))
