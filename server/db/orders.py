"""`SqlOrderRepository`: orders, shipments and returns as `tools.commerce.ports` views."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from server.db.errors import InvalidReturn, UnknownOrder
from server.db.models import (
    RETURN_KINDS,
    Coupon,
    Customer,
    Order,
    OrderLine,
    OrderWish,
    Product,
    Return,
    ReturnLine,
    Shipment,
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


def _order_options() -> list:
    return [
        selectinload(Order.lines).selectinload(OrderLine.product).joinedload(Product.category),
        selectinload(Order.shipment).selectinload(Shipment.events),
        selectinload(Order.returns).selectinload(Return.lines),
        selectinload(Order.wishes),
    ]


def return_view(ret: Return) -> ReturnView:
    return to_row(ReturnView, ret, return_id=ret.id, line_ids=[line.order_line_id for line in ret.lines])


def _shipment_view(shipment: Shipment) -> ShipmentView:
    events = [to_row(TrackingEventView, ev) for ev in shipment.events]
    return to_row(ShipmentView, shipment, shipment_id=shipment.id, events=events)


def _line_view(line: OrderLine) -> OrderLineView:
    product = line.product
    return to_row(
        OrderLineView,
        line,
        line_id=line.id,
        name_zh=product.name_zh,
        name_en=product.name_en,
        category=product.category_key,
        returnable=product.category.returnable,
    )


def order_view(order: Order) -> OrderView:
    return to_row(
        OrderView,
        order,
        order_id=order.id,
        lines=[_line_view(line) for line in order.lines],
        shipment=_shipment_view(order.shipment) if order.shipment else None,
        returns=[return_view(r) for r in order.returns],
        wishes=[wish_view(w) for w in order.wishes if w.status != "replaced"],
    )


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
        update(Order).where(Order.id == order_id, Order.status.in_(UNSHIPPED))
        .values(status=status or Order.status).execution_options(synchronize_session=False)
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
            order = session.scalars(select(Order).where(Order.id == order_id).options(*_order_options())).first()
            return order_view(order) if order else None

    def contact_matches(self, order_id: str, contact: str) -> bool:
        """Is `contact` the phone (same last 11 digits) or the email (case-insensitive) of the order's customer?"""
        with self._sessions() as session:
            row = session.execute(
                select(Customer.phone, Customer.email).join(Order, Order.customer_id == Customer.id)
                .where(Order.id == order_id)
            ).first()
        return row is not None and same_contact(contact, phone=row.phone, email=row.email)

    def list_orders(self, customer_id: str, *, limit: int = 5) -> list[OrderView]:
        stmt = (
            select(Order)
            .where(Order.customer_id == customer_id)
            .order_by(Order.placed_at.desc(), Order.id.desc())
            .limit(max(1, limit))
            .options(*_order_options())
        )
        with self._sessions() as session:
            return [order_view(o) for o in session.scalars(stmt)]

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
                    order_id=order_id, line_ids=wanted, kind=kind, reason=reason, amount=refund_amount, now=now,
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
        self, *, order_id: str, line_ids: Sequence[int], kind: str, reason: str, amount: Decimal, now: datetime,
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

    def record_wish(self, *, order_id: str, kind: str, value: str, conversation_id: str | None,
                    now: datetime) -> OrderWishView:
        """Record a wish on an unshipped order; an earlier active wish of the same kind is `replaced` (one courier,
        one date at a time). Raises UnknownOrder, or OrderAlreadyShipped."""
        with self._sessions.begin() as session:
            _claim_unshipped(session, order_id)
            session.execute(update(OrderWish).where(OrderWish.order_id == order_id, OrderWish.kind == kind,
                                                    OrderWish.status == "active").values(status="replaced"))
            wish = OrderWish(order_id=order_id, kind=kind, value=value, status="active",
                             conversation_id=conversation_id, created_at=now)
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
                session.execute(update(Product).where(Product.id == line.product_id)
                                .values(stock=Product.stock + line.quantity))
                units += line.quantity
            returned: list[str] = []
            for coupon in session.scalars(select(Coupon).where(Coupon.used_order_id == order_id,
                                                               Coupon.status == "used")):
                if coupon.expires_at > now:
                    coupon.status, coupon.used_order_id = "issued", None
                    returned.append(coupon.code)
            session.execute(update(OrderWish).where(OrderWish.order_id == order_id, OrderWish.status == "active")
                            .values(status="replaced"))
            session.add(OrderWish(order_id=order_id, kind="cancel", value="", status="done",
                                  conversation_id=conversation_id, created_at=now))
            refund = order.total if was_paid else Decimal("0.00")
            return CancelledOrder(order_id=order_id, refund_amount=refund, coupons_returned=sorted(returned),
                                  units_restocked=units)

    @staticmethod
    def _next_return_id(session: Session) -> str:
        last = session.scalar(select(func.max(Return.id)).where(Return.id.like(f"{RETURN_ID_PREFIX}%")))
        number = int(last[len(RETURN_ID_PREFIX) :]) if last else 0
        return format_return_id(number + 1)
