"""SQLAlchemy models: the store (catalog, customers, orders, shipments, returns, marketing) and the
conversation log. The Alembic migrations in `server/db/migrations` must create exactly these tables.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from server.db.types import JsonType, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(10, 2)

ORDER_STATUSES = ("pending_payment", "paid", "shipped", "delivered", "cancelled")
SHIPMENT_STATUSES = (
    "label_created",
    "picked_up",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "exception",
    "returned",
)
RETURN_KINDS = ("no_reason", "quality")
RETURN_STATUSES = ("requested", "approved", "received", "refunded", "rejected")
TIERS = ("regular", "silver", "gold", "platinum")
LANGUAGES = ("zh", "en")
CHANNELS = ("web", "voice", "api")
HANDOFF_STATUSES = ("bot", "queued", "operator")
COUPON_STATUSES = ("issued", "used", "expired")
CAMPAIGN_STATUSES = ("active", "paused", "ended")  # the marketer's switch (migration 0006)
# threshold: the system moved a dynamic threshold; revert, pin, unpin: the marketer's answers to it (migration 0007)
CAMPAIGN_ACTIONS = ("create", "update", "pause", "resume", "end", "threshold", "revert", "pin", "unpin")
EXPERIMENT_STATUSES = ("running", "stopped")
EXPERIMENT_METRICS = ("claimed", "redeemed", "revenue")
OPERATOR_ROLES = ("operator", "supervisor", "marketer")
ORDER_WISH_KINDS = ("courier", "avoid_courier", "ship_after", "cancel", "ship_together", "ship_separately")
ORDER_WISH_STATUSES = ("active", "replaced", "done")  # (migration 0008)


def _one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Category(Base):
    __tablename__ = "categories"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(80))
    keywords_zh: Mapped[list[str]] = mapped_column(JsonType, default=list)
    keywords_en: Mapped[list[str]] = mapped_column(JsonType, default=list)
    returnable: Mapped[bool] = mapped_column(Boolean, default=True)
    parent_key: Mapped[str | None] = mapped_column(ForeignKey("categories.key"), default=None)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str] = mapped_column(String(80), default="")
    category_key: Mapped[str] = mapped_column(ForeignKey("categories.key"), index=True)
    price: Mapped[Decimal] = mapped_column(Money)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    popularity: Mapped[int] = mapped_column(Integer, default=0)  # units sold; search tie-breaker
    attributes: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")

    category: Mapped[Category] = relationship(lazy="joined", innerjoin=True)


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        _one_of("language", LANGUAGES, "language"),
        _one_of("tier", TIERS, "tier"),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    language: Mapped[str] = mapped_column(String(2))
    email: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(300))
    tier: Mapped[str] = mapped_column(String(16), default="regular")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        _one_of("status", ORDER_STATUSES, "status"),
        Index("ix_orders_customer_id_placed_at", "customer_id", "placed_at"),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(20))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    total: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    shipping_address: Mapped[str] = mapped_column(String(300), default="")
    # the automatic campaign (满减, percent off) the checkout applied and what it took off; a coupon names its
    # order itself (`Coupon.used_order_id`). No foreign key: see migration 0008.
    campaign_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    campaign_discount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"), server_default="0")

    lines: Mapped[list[OrderLine]] = relationship(order_by="OrderLine.id", back_populates="order")
    shipment: Mapped[Shipment | None] = relationship(back_populates="order")
    returns: Mapped[list[Return]] = relationship(order_by="Return.id", back_populates="order")
    wishes: Mapped[list[OrderWish]] = relationship(order_by="OrderWish.id", back_populates="order")


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()


class Shipment(Base):
    __tablename__ = "shipments"
    __table_args__ = (_one_of("status", SHIPMENT_STATUSES, "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), unique=True)
    carrier: Mapped[str] = mapped_column(String(60))
    tracking_no: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    eta: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    order: Mapped[Order] = relationship(back_populates="shipment")
    events: Mapped[list[TrackingEvent]] = relationship(
        order_by=lambda: [TrackingEvent.at, TrackingEvent.id], back_populates="shipment"
    )


class TrackingEvent(Base):
    __tablename__ = "tracking_events"
    __table_args__ = (_one_of("status", SHIPMENT_STATUSES, "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))
    location_zh: Mapped[str] = mapped_column(String(120), default="")
    location_en: Mapped[str] = mapped_column(String(160), default="")
    description_zh: Mapped[str] = mapped_column(String(300), default="")
    description_en: Mapped[str] = mapped_column(String(300), default="")

    shipment: Mapped[Shipment] = relationship(back_populates="events")


class Return(Base):
    __tablename__ = "returns"
    __table_args__ = (
        _one_of("kind", RETURN_KINDS, "kind"),
        _one_of("status", RETURN_STATUSES, "status"),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500), default="")
    refund_amount: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the filing turn's idempotency key: a retried turn finds its return here instead of filing it twice
    request_key: Mapped[str | None] = mapped_column(String(96), unique=True, index=True, default=None)

    order: Mapped[Order] = relationship(back_populates="returns")
    lines: Mapped[list[ReturnLine]] = relationship(order_by="ReturnLine.order_line_id")


class ReturnLine(Base):
    __tablename__ = "return_lines"
    __table_args__ = (UniqueConstraint("return_id", "order_line_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    return_id: Mapped[str] = mapped_column(ForeignKey("returns.id"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)


class OrderWish(Base):
    """A customer's wish about an order before it ships, recorded by the order-change tool after they confirmed it
    (migration 0008): what the warehouse must do when it packs the order; a newer wish of the same kind replaces
    the older one (`replaced`); a cancellation is recorded `done`."""

    __tablename__ = "order_wishes"
    __table_args__ = (
        _one_of("kind", ORDER_WISH_KINDS, "kind"),
        _one_of("status", ORDER_WISH_STATUSES, "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(12), default="active")
    conversation_id: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    order: Mapped[Order] = relationship(back_populates="wishes")


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        _one_of("channel", CHANNELS, "channel"),
        _one_of("handoff", HANDOFF_STATUSES, "handoff"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), index=True, default=None)
    language: Mapped[str | None] = mapped_column(String(2), default=None)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    handoff: Mapped[str] = mapped_column(String(16), default="bot", server_default="bot")
    # The operator (username) who holds the conversation; claimed with a conditional UPDATE (migration 0003).
    held_by: Mapped[str | None] = mapped_column(String(64), default=None)


class DialogueEvent(Base):
    __tablename__ = "dialogue_events"
    __table_args__ = (
        # One unique index serves both as UNIQUE(conversation_id, seq) and as the load() index.
        Index("ux_dialogue_events_conversation_id_seq", "conversation_id", "seq", unique=True),
        # The console's figures read events by type in a window of time (server.db.stats, server.db.marketing).
        Index("ix_dialogue_events_type_at", "type", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(32), unique=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Campaign(Base):
    """A campaign; `rules` as `tools.marketing.campaigns.CampaignRules` validates them. `status` is the marketer's
    switch (active | paused | ended); `budget` caps the discount committed (`spent`: coupons claimed, in yuan of
    face value; NULL: no cap), raised by a conditional UPDATE so no claim passes it. `active` predates `status`
    (the demo's "running at build time") and is kept equal to `status == 'active'` on every change."""

    __tablename__ = "campaigns"
    __table_args__ = (_one_of("status", CAMPAIGN_STATUSES, "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(32))  # e.g. festival | new_customer | member_day
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rules: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    budget: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    spent: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"), server_default="0")
    per_customer_limit: Mapped[int | None] = mapped_column(Integer, default=None)
    segments: Mapped[list[str]] = mapped_column(JsonType, default=list, server_default=text("'[]'"))


class CampaignChange(Base):
    """The audit trail of campaigns: who changed what, when and why (`changes`: field -> {"from", "to"})."""

    __tablename__ = "campaign_changes"
    __table_args__ = (_one_of("action", CAMPAIGN_ACTIONS, "action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))  # the operator's username
    actor_role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    changes: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")


class Experiment(Base):
    """An A/B experiment on a campaign (`tools.marketing.experiments.ExperimentSpec` validates it): its arms (key,
    label, weight, what each changes), the metric the readout counts, the strata customers are randomised in."""

    __tablename__ = "experiments"
    __table_args__ = (_one_of("status", EXPERIMENT_STATUSES, "status"), _one_of("metric", EXPERIMENT_METRICS, "metric"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    arms: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    metric: Mapped[str] = mapped_column(String(16))
    strata: Mapped[list[str]] = mapped_column(JsonType, default=list)
    min_detectable_effect: Mapped[float | None] = mapped_column(Float, default=None)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    stopped_by: Mapped[str | None] = mapped_column(String(64), default=None)
    note: Mapped[str] = mapped_column(Text, default="")


class ExperimentAssignment(Base):
    """A customer's arm in an experiment, once (the unique key keeps it stable across conversations and
    workers); `position` is their place in their stratum's assignment order (the permuted blocks)."""

    __tablename__ = "experiment_assignments"
    __table_args__ = (
        UniqueConstraint("experiment_id", "customer_id"),
        Index("ix_experiment_assignments_experiment_id_stratum", "experiment_id", "stratum"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    experiment_id: Mapped[str] = mapped_column(ForeignKey("experiments.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    arm: Mapped[str] = mapped_column(String(32))
    stratum: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    conversation_id: Mapped[str | None] = mapped_column(String(32), default=None)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Coupon(Base):
    """A coupon issued to a customer. Claimed in chat, it has `issued_at` and `claim_key` (conversation and
    campaign: a retried claim finds its coupon by it, and the unique index stops a second)."""

    __tablename__ = "coupons"
    __table_args__ = (
        _one_of("status", COUPON_STATUSES, "status"),
        Index("ux_coupons_claim_key", "claim_key", unique=True),
        Index("ix_coupons_campaign_id_customer_id", "campaign_id", "customer_id"),
    )

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    campaign_id: Mapped[str | None] = mapped_column(ForeignKey("campaigns.id"), default=None)
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), index=True, default=None)
    discount: Mapped[Decimal] = mapped_column(Money)
    min_spend: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="issued")
    used_order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id"), default=None)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    claim_key: Mapped[str | None] = mapped_column(String(80), default=None)


class CouponIssue(Base):
    """The audit record of a coupon issued outside a conversation (by the store, a marketer, a batch): who, when and
    why. A coupon claimed in chat has its `CouponIssued` event instead (who asked, in their words); every coupon has
    one or the other."""

    __tablename__ = "coupon_issues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(ForeignKey("coupons.code"), unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))  # who issued it (a username, or the job that did)
    actor_role: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64))  # e.g. store_issued, welcome, compensation
    note: Mapped[str] = mapped_column(Text, default="")


class Operator(Base):
    """A console account. Only an argon2 hash of the password is stored; `disabled_at` set: it cannot sign in."""

    __tablename__ = "operators"
    __table_args__ = (_one_of("role", OPERATOR_ROLES, "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class OperatorSession(Base):
    """A console login; the key is the SHA-256 of the session token (the token itself is never stored)."""

    __tablename__ = "operator_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ConversationNote(Base):
    """A private operator note on a conversation; never sent to the customer."""

    __tablename__ = "conversation_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


IDENTIFIER_KINDS = ("device", "phone", "address", "payment")  # migration 0012
IDENTIFIER_SOURCES = ("sign_in", "session", "order", "profile", "payment")


class AccountIdentifier(Base):
    """An identifier seen on a customer's account (migration 0012): a device id from a sign-in or session, a phone,
    a shipping address, a payment token. `value` as seen; `value_key` its normalised key
    (`tools.marketing.insight.identity_keys`), NULL for a placeholder that is no evidence. The identity graph
    links accounts that share a key."""

    __tablename__ = "account_identifiers"
    __table_args__ = (
        _one_of("kind", IDENTIFIER_KINDS, "kind"),
        _one_of("source", IDENTIFIER_SOURCES, "source"),
        UniqueConstraint("customer_id", "kind", "value"),
        Index("ix_account_identifiers_kind_value_key", "kind", "value_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    value: Mapped[str] = mapped_column(String(300))
    value_key: Mapped[str | None] = mapped_column(String(300), default=None)
    source: Mapped[str] = mapped_column(String(12))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
class Review(Base):
    """A customer's rating (1-5) and words on a product of one of their orders (migration 0011); profiles read the
    needs it shows, churn risk its sentiment."""

    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
        _one_of("language", LANGUAGES, "language"),
        Index("ix_reviews_customer_id_created_at", "customer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    rating: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(2))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


BROWSE_KINDS = ("view", "cart")


class BrowseEvent(Base):
    """A signed-in customer viewed a product or put it in the cart on the store's site (migration 0011)."""

    __tablename__ = "browse_events"
    __table_args__ = (
        _one_of("kind", BROWSE_KINDS, "kind"),
        Index("ix_browse_events_customer_id_at", "customer_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    kind: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


# Store tables in an order that is safe for deleting (children first). Operator accounts and sessions
# are not store data and survive a demo-store rebuild; notes go with their conversations.
STORE_TABLES_DELETE_ORDER = (
    "reviews",
    "browse_events",
    "conversation_notes",
    "dialogue_events",
    "conversations",
    "coupon_issues",
    "coupons",
    "campaign_changes",
    "experiment_assignments",
    "experiments",
    "campaigns",
    "order_wishes",
    "return_lines",
    "returns",
    "tracking_events",
    "shipments",
    "order_lines",
    "orders",
    "account_identifiers",
    "customers",
    "products",
    "categories",
)
