"""Reads behind the console's marketing view: dialogue events of some types in a time window, and the names of
the products and categories that rules speak of.

The events are read newest first up to a bound (`limit`), so a busy store costs at most that many rows per
request; when the bound cuts the window, the oldest events are the ones left out and the caller is told
(`EventWindow.truncated`). The `(type, at)` index (migration 0005) serves the read on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from agent.events import Event
from server.db.models import Category, DialogueEvent, Product

log = logging.getLogger(__name__)

LOOKUP_CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True, slots=True)
class EventWindow:
    events: list[Event]  # oldest first
    truncated: bool  # the bound left out older events of the window


@dataclass(frozen=True, slots=True)
class ItemLabel:
    """What an item of a rule is: a product (with its category) or a category."""

    kind: str  # product | category
    name_zh: str
    name_en: str
    category: str | None  # a product's category key; a category's own key


def events_in_window(
    sessions: sessionmaker[Session], *, types: Sequence[str], since: datetime, until: datetime, limit: int
) -> EventWindow:
    """Events of `types` with `since <= at <= until`, at most `limit` of them (the newest)."""
    stmt = (
        select(DialogueEvent)
        .where(DialogueEvent.type.in_(list(types)), DialogueEvent.at >= since, DialogueEvent.at <= until)
        .order_by(DialogueEvent.at.desc(), DialogueEvent.id.desc())
        .limit(limit + 1)
    )
    with sessions() as session:
        rows = session.scalars(stmt).all()
    events: list[Event] = []
    for row in reversed(rows[:limit]):
        try:
            events.append(Event.from_record(type=row.type, conversation_id=row.conversation_id, seq=row.seq,
                                            at=row.at, id=row.event_id, payload=row.payload or {}))
        except (TypeError, ValueError, AttributeError):  # a payload this version cannot read: not counted
            log.warning("event %s (%s) is unreadable; left out of the marketing figures", row.event_id, row.type)
    return EventWindow(events=events, truncated=len(rows) > limit)


def item_labels(sessions: sessionmaker[Session], items: Iterable[str]) -> dict[str, ItemLabel]:
    """Names of the given product ids and category keys (items the catalogue does not know are left out)."""
    wanted = sorted(set(items))
    out: dict[str, ItemLabel] = {}
    with sessions() as session:
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            for key, zh, en in session.execute(
                select(Category.key, Category.name_zh, Category.name_en).where(Category.key.in_(chunk))
            ):
                out[key] = ItemLabel("category", zh, en, key)
            for pid, zh, en, category in session.execute(
                select(Product.id, Product.name_zh, Product.name_en, Product.category_key).where(Product.id.in_(chunk))
            ):
                out[pid] = ItemLabel("product", zh, en, category)
    return out


def category_names(sessions: sessionmaker[Session], keys: Iterable[str]) -> dict[str, tuple[str, str]]:
    """`{key: (name_zh, name_en)}` of the given category keys."""
    wanted = sorted(set(keys))
    out: dict[str, tuple[str, str]] = {}
    with sessions() as session:
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
            for key, zh, en in session.execute(
                select(Category.key, Category.name_zh, Category.name_en).where(Category.key.in_(chunk))
            ):
                out[key] = (zh, en)
    return out
