"""The supervisor view's figures: handoff rate, CSAT, affect, top intents, offers and conversions per campaign.

Every figure is one SQL aggregate over the store (`dialogue_events`, `conversations`, `campaigns`, `coupons`),
written with SQLAlchemy expressions that run the same on SQLite and PostgreSQL; JSON payload fields are read
with the JSON type's own accessors (`json_extract` on SQLite, `->>` on PostgreSQL). Read-only; nothing here
is cached, so a supervisor sees the log as it is.

What counts (for a window of days ending now, in the store's time zone):
- conversations: those started in the window; handed off: those of them that asked for a person or were
  taken over (a `handoff_requested` or `operator_joined` event, whenever it came); taken over: an operator
  joined.
- CSAT: every `csat_given` event in the window (the widget asks once per resolve).
- affect: one `affect_observed` event per customer utterance in the window; intents: `intent_recognized`
  events in the window (the ten most frequent).
- offers and conversions per campaign: the store has no record yet of a coupon *offered* in a conversation,
  so a campaign's offers are the coupons issued under it and its conversions the coupons redeemed on an order
  (`status = 'used'`), over the campaign's whole life (coupons carry no issue date).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session, sessionmaker

from server.db.models import Campaign, Conversation, Coupon, DialogueEvent

AFFECT_LABELS = ("anger", "anxiety", "disappointment", "neutral", "satisfaction")
CSAT_SCORES = (1, 2, 3, 4, 5)
TOP_INTENTS = 10
HANDOFF_EVENT_TYPES = ("handoff_requested", "operator_joined")


class Window(BaseModel):
    since: datetime
    until: datetime
    days: int
    timezone: str


class DayCount(BaseModel):
    date: str  # YYYY-MM-DD in the store's time zone
    conversations: int
    handed_off: int


class Handoffs(BaseModel):
    conversations: int
    handed_off: int
    taken_over: int
    rate: float | None  # handed_off / conversations; None without conversations
    daily: list[DayCount]


class ScoreCount(BaseModel):
    score: int
    count: int


class Csat(BaseModel):
    count: int
    average: float | None
    distribution: list[ScoreCount]  # scores 1..5, zeros included


class LabelCount(BaseModel):
    label: str
    count: int


class CampaignFigures(BaseModel):
    campaign_id: str
    name_zh: str
    name_en: str
    active: bool
    offers: int  # coupons issued under the campaign
    conversions: int  # of them, redeemed on an order
    expired: int
    conversion_rate: float | None


class SupervisorStats(BaseModel):
    window: Window
    handoffs: Handoffs
    csat: Csat
    affect: list[LabelCount]  # every label, zeros included
    intents: list[LabelCount]  # most frequent first
    campaigns: list[CampaignFigures]
    offers_source: str = "coupons"  # offers = coupons issued, conversions = coupons redeemed (see module doc)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _local_day(column: Any, dialect: str, offset_minutes: int) -> ColumnElement[str]:
    """`YYYY-MM-DD` of a UTC timestamp shifted by a fixed offset (the store's offset now), on either engine."""
    if dialect == "postgresql":
        shifted = func.timezone("UTC", column) + func.make_interval(0, 0, 0, 0, 0, offset_minutes)
        return func.to_char(shifted, "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column, f"{offset_minutes:+d} minutes")


def supervisor_stats(
    sessions: sessionmaker[Session], *, days: int = 30, timezone: str = "Asia/Shanghai", now: datetime | None = None
) -> SupervisorStats:
    """The figures for the `days` calendar days (store time zone) up to and including today."""
    tz = ZoneInfo(timezone)
    now = (now or datetime.now(UTC)).astimezone(tz)
    start_local = datetime.combine(now.date() - timedelta(days=days - 1), datetime.min.time(), tzinfo=tz)
    since, until = start_local.astimezone(UTC), now.astimezone(UTC)
    offset = now.utcoffset()
    offset_minutes = int(offset.total_seconds() // 60) if offset else 0

    in_window = and_(Conversation.created_at >= since, Conversation.created_at <= until)
    handed_off = (
        select(DialogueEvent.id)
        .where(DialogueEvent.conversation_id == Conversation.id, DialogueEvent.type.in_(HANDOFF_EVENT_TYPES))
        .exists()
    )
    taken_over = (
        select(DialogueEvent.id)
        .where(DialogueEvent.conversation_id == Conversation.id, DialogueEvent.type == "operator_joined")
        .exists()
    )
    events_in_window = and_(DialogueEvent.at >= since, DialogueEvent.at <= until)

    with sessions() as session:
        dialect = session.get_bind().dialect.name
        day = _local_day(Conversation.created_at, dialect, offset_minutes).label("day")
        totals = session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((handed_off, 1), else_=0)), 0),
                func.coalesce(func.sum(case((taken_over, 1), else_=0)), 0),
            ).where(in_window)
        ).one()
        by_day = {
            d: (int(n), int(h))
            for d, n, h in session.execute(
                select(day, func.count(), func.coalesce(func.sum(case((handed_off, 1), else_=0)), 0))
                .where(in_window)
                .group_by(day)
            )
        }

        score = DialogueEvent.payload["score"].as_integer()
        scores = dict(
            session.execute(
                select(score, func.count()).where(DialogueEvent.type == "csat_given", events_in_window).group_by(score)
            ).all()
        )
        csat_count, csat_avg = session.execute(
            select(func.count(), func.avg(score)).where(DialogueEvent.type == "csat_given", events_in_window)
        ).one()

        label = DialogueEvent.payload["label"].as_string()
        affects = dict(
            session.execute(
                select(label, func.count())
                .where(DialogueEvent.type == "affect_observed", events_in_window)
                .group_by(label)
            ).all()
        )

        intent = DialogueEvent.payload["intent"].as_string()
        count = func.count().label("n")
        intents = session.execute(
            select(intent, count)
            .where(DialogueEvent.type == "intent_recognized", events_in_window)
            .group_by(intent)
            .order_by(count.desc(), intent)
            .limit(TOP_INTENTS)
        ).all()

        campaigns = session.execute(
            select(
                Campaign.id,
                Campaign.name_zh,
                Campaign.name_en,
                Campaign.active,
                func.count(Coupon.code),
                func.coalesce(func.sum(case((Coupon.status == "used", 1), else_=0)), 0),
                func.coalesce(func.sum(case((Coupon.status == "expired", 1), else_=0)), 0),
            )
            .outerjoin(Coupon, Coupon.campaign_id == Campaign.id)
            .group_by(Campaign.id, Campaign.name_zh, Campaign.name_en, Campaign.active, Campaign.starts_at)
            .order_by(Campaign.starts_at.desc(), Campaign.id)
        ).all()

    conversations, handed, taken = (int(v) for v in totals)
    daily = []
    for i in range(days):
        date = (start_local.date() + timedelta(days=i)).isoformat()
        n, h = by_day.get(date, (0, 0))
        daily.append(DayCount(date=date, conversations=n, handed_off=h))
    return SupervisorStats(
        window=Window(since=since, until=until, days=days, timezone=timezone),
        handoffs=Handoffs(
            conversations=conversations,
            handed_off=handed,
            taken_over=taken,
            rate=_ratio(handed, conversations),
            daily=daily,
        ),
        csat=Csat(
            count=int(csat_count),
            average=round(float(csat_avg), 2) if csat_avg is not None else None,
            distribution=[ScoreCount(score=s, count=int(scores.get(s, 0))) for s in CSAT_SCORES],
        ),
        affect=[LabelCount(label=a, count=int(affects.get(a, 0))) for a in AFFECT_LABELS],
        intents=[LabelCount(label=str(name), count=int(n)) for name, n in intents if name],
        campaigns=[
            CampaignFigures(
                campaign_id=cid,
                name_zh=zh,
                name_en=en,
                active=bool(active),
                offers=int(issued),
                conversions=int(used),
                expired=int(expired),
                conversion_rate=_ratio(int(used), int(issued)),
            )
            for cid, zh, en, active, issued, used, expired in campaigns
        ],
    )
