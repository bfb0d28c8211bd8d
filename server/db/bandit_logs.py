"""Read the re-ranking policy's logs from the event table: per conversation, the lists shown and the product
interactions, as `tools.marketing.session.Session`s (what `kefu train bandit` and `kefu eval bandit` learn
from and evaluate on)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker

from agent.events import Event, ProductInteracted, RecommendationShown
from server.db.models import DialogueEvent
from tools.marketing.session import Session

TYPES = (RecommendationShown.type, ProductInteracted.type)


def load_sessions(session_factory: sessionmaker[DbSession]) -> dict[str, Session]:
    """Every conversation that showed a list or recorded an interaction, its events in log order."""
    stmt = (
        select(DialogueEvent.conversation_id, DialogueEvent.seq, DialogueEvent.type, DialogueEvent.payload,
               DialogueEvent.at, DialogueEvent.event_id)
        .where(DialogueEvent.type.in_(TYPES))
        .order_by(DialogueEvent.conversation_id, DialogueEvent.seq)
        .execution_options(yield_per=2000)
    )
    events: dict[str, list[Event]] = defaultdict(list)
    with session_factory() as session:
        for cid, seq, kind, payload, at, event_id in session.execute(stmt):
            events[cid].append(Event.from_record(type=kind, conversation_id=cid, seq=seq, at=at, id=event_id,
                                                 payload=dict(payload or {})))
    return {cid: Session.from_events(evs) for cid, evs in events.items()}
