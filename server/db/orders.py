"""`SqlOrderRepository`: orders, shipments and returns as `tools.commerce.ports` views."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, Integer, Row, Select, bindparam, exists, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from server.db.errors import InvalidReturn, UnknownOrder
from server.db.models import (
    RETURN_KINDS,
    Category,
    Coupon,
    Customer,
    Order,
    OrderLine,
    OrderWish,
    Product,
    Return,
    ReturnLine,
    Shipment,
    TrackingEvent,
)
from server.db.rows import to_row
from tools.commerce.ports import (
    CancelledOrder,
    OrderAlreadyShipped,
    OrderLineView,
    OrderView,
    OrderWishView,
    ReturnView,
    ShipmentView,
    TrackingEventView,
    same_contact,
)

RETURN_ID_PREFIX = "R"
RETURN_ID_DIGITS = 8
# Id allocation is serialised (see _lock_return_ids); retries are only a safety net.
RETURN_ID_ATTEMPTS = 3
RETURN_ID_LOCK_KEY = 0x4B46_5245  # "KFRE"


def format_return_id(number: int) -> str:
    return f"{RETURN_ID_PREFIX}{number:0{RETURN_ID_DIGITS}d}"


def _lock_return_ids(session: Session, order_id: str) -> None:
    """Serialise return-id allocation so concurrent requests do not pick the same next id.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: a no-op write, which takes the database
    write lock before the max(id) read (writers are serialised there anyway).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RETURN_ID_LOCK_KEY})
    else:
        session.execute(
            update(Order)
            .where(Order.id == order_id)
            .values(status=Order.status)
            .execution_options(synchronize_session=False)
        )


def return_view(ret: Return) -> ReturnView:
    return to_row(ReturnView, ret, return_id=ret.id, line_ids=[line.order_line_id for line in ret.lines])


# --- reads: Core selects of the columns the views need, batched over the orders asked for -------------------
# The turn path reads orders on every order turn; loading ORM objects with a selectin query per relationship cost
# ~7 statements and most of the time in ORM bookkeeping. Here: one select for the orders with their lines and
# shipment (and whether they have tracking events, returns or open wishes), then one batched select per other part
# that exists: usually two statements in all.

_IDS = bindparam("ids", expanding=True)
_HAS_EVENTS = exists().where(TrackingEvent.shipment_id == Shipment.id).label("has_events")
_HAS_RETURNS = exists().where(Return.order_id == Order.id).label("has_returns")
_HAS_WISHES = exists().where(OrderWish.order_id == Order.id, OrderWish.status != "replaced").label("has_wishes")
_ORDERS = select(
    Order.id,
    Order.customer_id,
    Order.status,
    Order.placed_at,
    Order.total,
    Order.currency,
    Order.shipping_address,
    Shipment.id.label("shipment_id"),
    Shipment.carrier,
    Shipment.tracking_no,
    Shipment.status.label("shipment_status"),
    Shipment.shipped_at,
    Shipment.delivered_at,
    Shipment.eta,
    _HAS_EVENTS,
    _HAS_RETURNS,
    _HAS_WISHES,
).outerjoin(Shipment, Shipment.order_id == Order.id)


def _with_lines(orders: Select) -> Select:
    """The `orders` rows joined with their lines (one row per line, or one with no line), in `orders`' order."""
    o = orders.subquery("o")
    return (
        select(
            o,
            OrderLine.id.label("line_id"),
            OrderLine.product_id,
            Product.name_zh,
            Product.name_en,
            Product.category_key,
            OrderLine.quantity,
            OrderLine.unit_price,
            Category.returnable,
        )
        .select_from(o)
        .outerjoin(OrderLine, OrderLine.order_id == o.c.id)
        .outerjoin(Product, Product.id == OrderLine.product_id)
        .outerjoin(Category, Category.key == Product.category_key)
        .order_by(o.c.placed_at.desc(), o.c.id.desc(), OrderLine.id)
    )


_ONE_ORDER = _with_lines(_ORDERS.where(Order.id == bindparam("order_id")))
_CUSTOMER_ORDERS = _with_lines(
    _ORDERS.where(Order.customer_id == bindparam("customer_id"))
    .order_by(Order.placed_at.desc(), Order.id.desc())
    .limit(bindparam("limit", type_=Integer))
)
_EVENTS = (
    select(
        TrackingEvent.shipment_id,
        TrackingEvent.at,
        TrackingEvent.status,
        TrackingEvent.location_zh,
        TrackingEvent.location_en,
        TrackingEvent.description_zh,
        TrackingEvent.description_en,
    )
    .where(TrackingEvent.shipment_id.in_(_IDS))
    .order_by(TrackingEvent.at, TrackingEvent.id)
)
_RETURNS = (
    select(
        Return.id,
        Return.order_id,
        Return.kind,
        Return.status,
        Return.reason,
        Return.refund_amount,
        Return.created_at,
        Return.request_key,
        ReturnLine.order_line_id,
    )
    .outerjoin(ReturnLine, ReturnLine.return_id == Return.id)
    .where(Return.order_id.in_(_IDS))
    .order_by(Return.id, ReturnLine.order_line_id)
)
_WISHES = (
    select(
        OrderWish.id,
        OrderWish.order_id,
        OrderWish.kind,
        OrderWish.value,
        OrderWish.status,
        OrderWish.conversation_id,
        OrderWish.created_at,
    )
    .where(OrderWish.order_id.in_(_IDS), OrderWish.status != "replaced")
    .order_by(OrderWish.id)
)


def _read_orders(conn: Connection, joined: Sequence[Row]) -> list[OrderView]:
    """Views of the orders in `joined` (`_with_lines` rows), in their order, with their events, returns and wishes."""
    rows: list[Row] = []
    lines: dict[str, list[OrderLineView]] = {}
    for r in joined:
        if not rows or rows[-1].id != r.id:
            rows.append(r)
            lines[r.id] = []
        if r.line_id is not None:
            lines[r.id].append(
                OrderLineView(
                    line_id=r.line_id,
                    product_id=r.product_id,
                    name_zh=r.name_zh,
                    name_en=r.name_en,
                    category=r.category_key,
                    quantity=r.quantity,
                    unit_price=r.unit_price,
                    returnable=r.returnable,
                )
            )
    events: dict[int, list[TrackingEventView]] = {}
    if shipped := [r.shipment_id for r in rows if r.has_events]:
        for r in conn.execute(_EVENTS, {"ids": shipped}):
            events.setdefault(r.shipment_id, []).append(
                TrackingEventView(
                    at=r.at,
                    status=r.status,
                    location_zh=r.location_zh,
                    location_en=r.location_en,
                    description_zh=r.description_zh,
                    description_en=r.description_en,
                )
            )
    returns: dict[str, list[ReturnView]] = {}
    if returned := [r.id for r in rows if r.has_returns]:
        last: ReturnView | None = None
        for r in conn.execute(_RETURNS, {"ids": returned}):
            if last is None or last.return_id != r.id:
                last = ReturnView(
                    return_id=r.id,
                    order_id=r.order_id,
                    line_ids=[],
                    kind=r.kind,
                    status=r.status,
                    reason=r.reason,
                    refund_amount=r.refund_amount,
                    created_at=r.created_at,
                    request_key=r.request_key,
                )
                returns.setdefault(r.order_id, []).append(last)
            if r.order_line_id is not None:
                last.line_ids.append(r.order_line_id)
    wishes: dict[str, list[OrderWishView]] = {}
    if wished := [r.id for r in rows if r.has_wishes]:
        for r in conn.execute(_WISHES, {"ids": wished}):
            wishes.setdefault(r.order_id, []).append(
                OrderWishView(
                    wish_id=r.id,
                    order_id=r.order_id,
                    kind=r.kind,
                    value=r.value,
                    status=r.status,
                    conversation_id=r.conversation_id,
                    created_at=r.created_at,
                )
            )
    return [
        OrderView(
            order_id=r.id,
            customer_id=r.customer_id,
            status=r.status,
            placed_at=r.placed_at,
            total=r.total,
            currency=r.currency,
            shipping_address=r.shipping_address,
            lines=lines.get(r.id, []),
            shipment=None
            if r.shipment_id is None
            else ShipmentView(
                shipment_id=r.shipment_id,
                carrier=r.carrier,
                tracking_no=r.tracking_no,
                status=r.shipment_status,
                shipped_at=r.shipped_at,
                delivered_at=r.delivered_at,
                eta=r.eta,
                events=events.get(r.shipment_id, []),
            ),
            returns=returns.get(r.id, []),
            wishes=wishes.get(r.id, []),
        )
        for r in rows
    ]


def wish_view(wish: OrderWish) -> OrderWishView:
    return to_row(OrderWishView, wish, wish_id=wish.id)


UNSHIPPED = ("pending_payment", "paid")


def _claim_unshipped(session: Session, order_id: str, *, status: str | None = None) -> Order:
    """The order, locked for this transaction, if it has not shipped (nor been cancelled); `status` set, it is
    moved there in the same conditional write, so two writers cannot both act on an unshipped order."""
    order = session.get(Order, order_id)
    if order is None:
        raise UnknownOrder(order_id)
    shipment = session.scalars(select(Shipment).where(Shipment.order_id == order_id)).first()
    moved = session.execute(
        update(Order)
        .where(Order.id == order_id, Order.status.in_(UNSHIPPED))
        .values(status=status or Order.status)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved or (shipment is not None and shipment.shipped_at is not None):
        raise OrderAlreadyShipped(order_id)
    session.refresh(order)
    return order


class SqlOrderRepository:
    """Blocking SQL implementation of `tools.commerce.ports.OrderRepository` (callers use asyncio.to_thread)."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def get_order(self, order_id: str) -> OrderView | None:
        with self._sessions() as session:
            conn = session.connection()
            views = _read_orders(conn, conn.execute(_ONE_ORDER, {"order_id": order_id}).all())
        return views[0] if views else None

    def contact_matches(self, order_id: str, contact: str) -> bool:
        """Is `contact` the phone (same last 11 digits) or the email (case-insensitive) of the order's customer?"""
        with self._sessions() as session:
            row = session.execute(
                select(Customer.phone, Customer.email)
                .join(Order, Order.customer_id == Customer.id)
                .where(Order.id == order_id)
            ).first()
        return row is not None and same_contact(contact, phone=row.phone, email=row.email)

    def list_orders(self, customer_id: str, *, limit: int = 5) -> list[OrderView]:
        """The customer's newest `limit` orders (at least one), newest first."""
        with self._sessions() as session:
            conn = session.connection()
            rows = conn.execute(_CUSTOMER_ORDERS, {"customer_id": customer_id, "limit": max(1, limit)}).all()
            return _read_orders(conn, rows)

    def create_return(
        self,
        *,
        order_id: str,
        line_ids: list[int],
        kind: str,
        reason: str,
        refund_amount: Decimal,
        now: datetime,
        key: str | None = None,
    ) -> ReturnView:
        """Insert a `requested` return with its lines in one transaction; the next R-number is its id. With `key`
        (an idempotency key) a return already filed under it is returned and nothing is inserted.

        Raises UnknownOrder, or InvalidReturn for an unknown kind, no lines or lines of another order.
        """
        if kind not in RETURN_KINDS:
            raise InvalidReturn(f"unknown return kind {kind!r}")
        wanted = sorted(set(line_ids))
        if not wanted:
            raise InvalidReturn("a return needs at least one order line")
        for attempt in range(RETURN_ID_ATTEMPTS):
            if key is not None and (filed := self._return_for_key(key)) is not None:
                return filed
            try:
                return self._insert_return(
                    order_id=order_id,
                    line_ids=wanted,
                    kind=kind,
                    reason=reason,
                    amount=refund_amount,
                    now=now,
                    key=key,
                )
            except IntegrityError:  # another R-number or the same key taken meanwhile: look again
                if attempt == RETURN_ID_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _return_for_key(self, key: str) -> ReturnView | None:
        with self._sessions() as session:
            ret = session.scalar(select(Return).where(Return.request_key == key).options(selectinload(Return.lines)))
            return return_view(ret) if ret is not None else None

    def _insert_return(
        self,
        *,
        order_id: str,
        line_ids: Sequence[int],
        kind: str,
        reason: str,
        amount: Decimal,
        now: datetime,
        key: str | None = None,
    ) -> ReturnView:
        with self._sessions.begin() as session:
            order_lines = set(session.scalars(select(OrderLine.id).where(OrderLine.order_id == order_id)))
            if not order_lines and session.get(Order, order_id) is None:
                raise UnknownOrder(order_id)
            foreign = [i for i in line_ids if i not in order_lines]
            if foreign:
                raise InvalidReturn(f"lines {foreign} are not on order {order_id}")
            _lock_return_ids(session, order_id)
            ret = Return(
                id=self._next_return_id(session),
                order_id=order_id,
                kind=kind,
                status="requested",
                reason=reason,
                refund_amount=amount,
                created_at=now,
                request_key=key,
                lines=[ReturnLine(order_line_id=i) for i in line_ids],
            )
            session.add(ret)
            session.flush()
            return return_view(ret)

    def record_wish(
        self, *, order_id: str, kind: str, value: str, conversation_id: str | None, now: datetime
    ) -> OrderWishView:
        """Record a wish on an unshipped order; an earlier active wish of the same kind is `replaced` (one courier,
        one date at a time). Raises UnknownOrder, or OrderAlreadyShipped."""
        with self._sessions.begin() as session:
            _claim_unshipped(session, order_id)
            session.execute(
                update(OrderWish)
                .where(OrderWish.order_id == order_id, OrderWish.kind == kind, OrderWish.status == "active")
                .values(status="replaced")
            )
            wish = OrderWish(
                order_id=order_id,
                kind=kind,
                value=value,
                status="active",
                conversation_id=conversation_id,
                created_at=now,
            )
            session.add(wish)
            session.flush()
            return wish_view(wish)

    def cancel_order(self, *, order_id: str, conversation_id: str | None, now: datetime) -> CancelledOrder:
        """Cancel an unshipped order: status `cancelled`, its units back in stock, its coupons that have not
        expired back to `issued`, its open wishes `replaced` and the cancellation recorded `done`; the refund due is
        the total of a paid order. One transaction. Raises UnknownOrder, or OrderAlreadyShipped."""
        with self._sessions.begin() as session:
            before = session.get(Order, order_id)
            was_paid = before is not None and before.status == "paid"
            order = _claim_unshipped(session, order_id, status="cancelled")
            units = 0
            for line in session.scalars(select(OrderLine).where(OrderLine.order_id == order_id)):
                session.execute(
                    update(Product).where(Product.id == line.product_id).values(stock=Product.stock + line.quantity)
                )
                units += line.quantity
            returned: list[str] = []
            for coupon in session.scalars(
                select(Coupon).where(Coupon.used_order_id == order_id, Coupon.status == "used")
            ):
                if coupon.expires_at > now:
                    coupon.status, coupon.used_order_id = "issued", None
                    returned.append(coupon.code)
            session.execute(
                update(OrderWish)
                .where(OrderWish.order_id == order_id, OrderWish.status == "active")
                .values(status="replaced")
            )
            session.add(
                OrderWish(
                    order_id=order_id,
                    kind="cancel",
                    value="",
                    status="done",
                    conversation_id=conversation_id,
                    created_at=now,
                )
            )
            refund = order.total if was_paid else Decimal("0.00")
            return CancelledOrder(
                order_id=order_id, refund_amount=refund, coupons_returned=sorted(returned), units_restocked=units
            )

    @staticmethod
    def _next_return_id(session: Session) -> str:
        last = session.scalar(select(func.max(Return.id)).where(Return.id.like(f"{RETURN_ID_PREFIX}%")))
        number = int(last[len(RETURN_ID_PREFIX) :]) if last else 0
        return format_return_id(number + 1)
