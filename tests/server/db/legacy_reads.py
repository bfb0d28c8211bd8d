"""The ORM read paths as they were before issue 17 (ORM objects + selectin per relationship), kept only as the
reference the faster Core reads are checked against (test_read_equivalence.py) and timed against
(bench/bench_reads.py). Not used by the service."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from server.db.catalog import SqlProductCatalog, _term_matches
from server.db.models import Coupon, Customer, Order, OrderLine, Product, Return, Shipment
from server.db.offers import HISTORY_ORDERS
from server.db.query_text import parse_query
from server.db.rows import to_row
from tools.commerce.ports import (
    OrderLineView,
    OrderView,
    OrderWishView,
    ProductView,
    ReturnView,
    ShipmentView,
    TrackingEventView,
)
from tools.marketing.campaigns import Basket, CustomerProfile, HeldCoupon, Line
from tools.marketing.experiments import Experiment as ExperimentModel
from tools.marketing.segments import ShopperHistory, price_position


def _order_options() -> list:
    return [
        selectinload(Order.lines).selectinload(OrderLine.product).joinedload(Product.category),
        selectinload(Order.shipment).selectinload(Shipment.events),
        selectinload(Order.returns).selectinload(Return.lines),
        selectinload(Order.wishes),
    ]


def _order_view(order: Order) -> OrderView:
    def line(ln: OrderLine) -> OrderLineView:
        p = ln.product
        return to_row(
            OrderLineView,
            ln,
            line_id=ln.id,
            name_zh=p.name_zh,
            name_en=p.name_en,
            category=p.category_key,
            returnable=p.category.returnable,
        )

    shipment = None
    if order.shipment:
        s = order.shipment
        shipment = to_row(ShipmentView, s, shipment_id=s.id, events=[to_row(TrackingEventView, e) for e in s.events])
    return to_row(
        OrderView,
        order,
        order_id=order.id,
        lines=[line(ln) for ln in order.lines],
        shipment=shipment,
        returns=[
            to_row(ReturnView, r, return_id=r.id, line_ids=[x.order_line_id for x in r.lines]) for r in order.returns
        ],
        wishes=[to_row(OrderWishView, w, wish_id=w.id) for w in order.wishes if w.status != "replaced"],
    )


def orm_get_order(sessions: sessionmaker[Session], order_id: str) -> OrderView | None:
    with sessions() as session:
        order = session.scalars(select(Order).where(Order.id == order_id).options(*_order_options())).first()
        return _order_view(order) if order else None


def orm_list_orders(sessions: sessionmaker[Session], customer_id: str, *, limit: int = 5) -> list[OrderView]:
    stmt = (
        select(Order)
        .where(Order.customer_id == customer_id)
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(max(1, limit))
        .options(*_order_options())
    )
    with sessions() as session:
        return [_order_view(o) for o in session.scalars(stmt)]


def orm_history(sessions: sessionmaker[Session], customer_id: str) -> ShopperHistory | None:
    with sessions() as s:
        if s.get(Customer, customer_id) is None:
            return None
        orders = list(
            s.scalars(
                select(Order.id)
                .where(Order.customer_id == customer_id, Order.status != "cancelled")
                .order_by(Order.placed_at.desc())
                .limit(HISTORY_ORDERS)
            )
        )
        if not orders:
            return ShopperHistory(0, 0, None)
        with_coupon = (
            s.scalar(select(func.count(func.distinct(Coupon.used_order_id))).where(Coupon.used_order_id.in_(orders)))
            or 0
        )
        bought = s.execute(
            select(OrderLine.unit_price, Product.category_key)
            .join(Product, Product.id == OrderLine.product_id)
            .where(OrderLine.order_id.in_(orders))
        ).all()
        shelf: dict[str, list[float]] = {}
        for category, price in s.execute(
            select(Product.category_key, Product.price).where(Product.category_key.in_({c for _, c in bought}))
        ):
            shelf.setdefault(category, []).append(float(price))
    positions = [price_position(float(price), shelf.get(category, [])) for price, category in bought]
    return ShopperHistory(len(orders), int(with_coupon), sum(positions) / len(positions) if positions else None)


def _product_view(p: Product) -> ProductView:
    return ProductView(
        product_id=p.id,
        name_zh=p.name_zh,
        name_en=p.name_en,
        category=p.category_key,
        category_zh=p.category.name_zh,
        category_en=p.category.name_en,
        price=Decimal(p.price),
        stock=p.stock,
        brand=p.brand,
        attributes=dict(p.attributes or {}),
        description_zh=p.description_zh or "",
        description_en=p.description_en or "",
    )


def orm_search(
    catalog: SqlProductCatalog,
    sessions: sessionmaker[Session],
    *,
    text: str | None = None,
    category: str | None = None,
    limit: int = 5,
) -> list[ProductView]:
    catalog._load_categories()
    limit = max(1, min(limit, 50))
    stmt = select(Product)
    if category:
        stmt = stmt.where(Product.category_key.in_(catalog._with_descendants(category)))
    terms = parse_query(text, catalog._keywords) if text and text.strip() else []
    if text and text.strip() and not terms:
        return []
    if terms:
        hits = [case((_term_matches(t), 1), else_=0) for t in terms]
        score = sum(hits[1:], hits[0]).label("score")
        scored = stmt.with_only_columns(Product.id.label("pid"), score).subquery()
        ranked = select(scored.c.pid, scored.c.score, func.max(scored.c.score).over().label("best")).subquery()
        best_ids = select(ranked.c.pid).where(ranked.c.score == ranked.c.best, ranked.c.score > literal(0))
        stmt = select(Product).where(Product.id.in_(best_ids))
    in_stock = case((Product.stock > 0, 1), else_=0)
    stmt = stmt.order_by(in_stock.desc(), Product.popularity.desc(), Product.price, Product.id).limit(limit)
    with sessions() as session:
        return [_product_view(p) for p in session.scalars(stmt)]


# --- the offer turns' reads (issue 17, point 5): ORM entity loads, as SqlCampaignStore / ExperimentRepository had them


def orm_campaigns(sessions: sessionmaker[Session]) -> list[dict]:
    from server.db.campaigns import campaign_record
    from server.db.models import Campaign

    with sessions() as s:
        rows = s.scalars(select(Campaign).where(Campaign.status != "ended").order_by(Campaign.starts_at, Campaign.id))
        return [campaign_record(c) for c in rows]


def orm_profile(sessions: sessionmaker[Session], customer_id: str) -> CustomerProfile | None:
    with sessions() as s:
        tier = s.scalar(select(Customer.tier).where(Customer.id == customer_id))
        if tier is None:
            return None
        orders = (
            s.scalar(select(func.count(Order.id)).where(Order.customer_id == customer_id, Order.status != "cancelled"))
            or 0
        )
        return CustomerProfile(customer_id, tier, int(orders))


def orm_coupons(sessions: sessionmaker[Session], customer_id: str) -> list[HeldCoupon]:
    from server.db.offers import _held

    with sessions() as s:
        return [
            _held(c)
            for c in s.scalars(
                select(Coupon).where(Coupon.customer_id == customer_id).order_by(Coupon.expires_at, Coupon.code)
            )
        ]


def orm_last_order(sessions: sessionmaker[Session], customer_id: str) -> Basket | None:
    with sessions() as s:
        order_id = s.scalar(
            select(Order.id)
            .where(Order.customer_id == customer_id, Order.status != "cancelled")
            .order_by(Order.placed_at.desc(), Order.id.desc())
            .limit(1)
        )
        if order_id is None:
            return None
        rows = s.execute(
            select(OrderLine.product_id, Product.category_key, OrderLine.unit_price, OrderLine.quantity)
            .join(Product, Product.id == OrderLine.product_id)
            .where(OrderLine.order_id == order_id)
            .order_by(OrderLine.id)
        ).all()
        return Basket([Line(p, cat, Decimal(price) * qty) for p, cat, price, qty in rows], order_id=order_id)


def orm_running_experiments(sessions: sessionmaker[Session], now: datetime) -> list[ExperimentModel]:
    from server.db.experiments import experiment_record
    from server.db.models import Experiment

    with sessions() as s:
        rows = s.scalars(
            select(Experiment)
            .where(Experiment.status == "running", Experiment.starts_at <= now, Experiment.ends_at >= now)
            .order_by(Experiment.created_at)
        )
        return [ExperimentModel.model_validate(experiment_record(e)) for e in rows]


def orm_arm_of(sessions: sessionmaker[Session], experiment_id: str, customer_id: str) -> str | None:
    from server.db.models import ExperimentAssignment

    with sessions() as s:
        return s.scalar(
            select(ExperimentAssignment.arm).where(
                ExperimentAssignment.experiment_id == experiment_id, ExperimentAssignment.customer_id == customer_id
            )
        )


def orm_purchases(sessions: sessionmaker[Session], customer_id: str) -> list[list[str]]:
    """`SqlShopperData.purchases` as it was: the statement built and run through the ORM session per call."""
    stmt = (
        select(Order.id, OrderLine.product_id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.customer_id == customer_id, Order.status != "cancelled")
        .order_by(Order.placed_at, Order.id, OrderLine.id)
    )
    baskets: dict[str, list[str]] = {}
    with sessions() as session:
        for order_id, product_id in session.execute(stmt):
            baskets.setdefault(order_id, []).append(product_id)
    return list(baskets.values())
