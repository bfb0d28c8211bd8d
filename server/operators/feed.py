"""The console's live view of conversations: a summary per conversation, projected from its event log,
and the `console` pub/sub channel every operator socket listens to.

`ConversationSummary` is to the console what `DialogueState` is to the bot: built only by applying
events (`apply` skips what it has seen, by `seq`), so it can be rebuilt from the log at any time and
topped up with what another worker appended. `ConsoleFeed.publish` is called from the agent's publish
path with each batch of stored events; it must never fail a customer's turn, so it logs and carries on.

Frames on the `console` channel (operator sockets filter them per operator):
`{"type": "conversation", "conversation": <summary>, "events": [<event dict>…], "now"}`,
`{"type": "typing", "conversation_id", "who": "customer", "on"}`, `{"type": "note", "conversation_id",
"note"}`, `{"type": "csat_requested", "conversation_id", "operator"}`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from agent.events import (
    AffectObserved,
    ConversationStarted,
    CsatGiven,
    Event,
    HandoffRequested,
    IntentRecognized,
    OperatorJoined,
    OperatorUttered,
    UserUttered,
)
from agent.locks import KeyedLocks
from server.db.conversations import ConversationRepository, ConversationRow
from server.db.customers import CustomerRepository, CustomerRow
from server.db.events import SqlEventStore
from server.db.operators import NoteRow, OperatorRepository
from server.infra.pubsub import FramePubSub
from server.operators.names import OperatorNames

log = logging.getLogger(__name__)

CONSOLE_CHANNEL = "console"  # conversation channels are 32 hex digits, so this name cannot clash
HANDOFF_EVENTS = frozenset({"handoff_requested", "operator_joined", "handed_back"})
ANGER_DECAY = 0.5  # recent anger counts most: each new affect reading halves the older ones
PREVIEW_CHARS = 120
Frame = dict[str, Any]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class ConversationSummary:
    """One row of the console's conversation list. `waiting_since`: since when the customer has gone
    without an answer from whoever should answer (the bot while it holds the conversation, else a human)."""

    id: str
    channel: str = "web"
    customer_id: str | None = None
    language: str | None = None
    language_fixed: bool = False
    intent: str | None = None
    affect_label: str = "neutral"
    affect_score: float = 0.0
    affect_intensity: float = 0.0
    anger: float = 0.0
    handoff: str = "bot"
    handoff_reason: str | None = None
    operator: str | None = None
    started_at: datetime | None = None
    queued_at: datetime | None = None
    waiting_since: datetime | None = None
    last_message_at: datetime | None = None
    last_speaker: str | None = None  # customer | bot | operator
    last_text: str | None = None
    turns: int = 0
    csat: int | None = None
    last_seq: int = 0

    def apply(self, event: Event) -> None:
        if event.seq and event.seq <= self.last_seq:
            return
        self.last_seq = max(self.last_seq, event.seq)
        kind = event.type
        if isinstance(event, ConversationStarted):
            self.channel, self.customer_id, self.started_at = event.channel, event.customer_id, event.at
            if event.language:
                self.language, self.language_fixed = event.language, True
        elif isinstance(event, UserUttered):
            self.turns += 1
            if not self.language_fixed:
                self.language = event.language
            self._said("customer", event.text, event.at)
            self.waiting_since = self.waiting_since or event.at
        elif kind == "bot_uttered":
            self._said("bot", getattr(event, "text", ""), event.at)
            if self.handoff == "bot":
                self.waiting_since = None
        elif isinstance(event, OperatorUttered):
            self._said("operator", event.text, event.at)
            self.waiting_since = None
        elif isinstance(event, IntentRecognized):
            self.intent = event.intent
        elif isinstance(event, AffectObserved):
            self.affect_label, self.affect_score, self.affect_intensity = event.label, event.score, event.intensity
            self.anger = round(self.anger * ANGER_DECAY + (event.intensity if event.label == "anger" else 0.0), 4)
        elif isinstance(event, HandoffRequested):
            if self.handoff == "bot":
                self.handoff, self.queued_at = "queued", event.at
                self.waiting_since = self.waiting_since or event.at
            self.handoff_reason = event.reason
        elif isinstance(event, OperatorJoined):
            self.handoff, self.operator = "operator", event.operator
        elif kind == "handed_back":
            self.handoff, self.operator, self.queued_at, self.waiting_since = "bot", None, None, None
        elif isinstance(event, CsatGiven):
            self.csat = event.score

    def _said(self, who: str, text: str, at: datetime) -> None:
        self.last_speaker, self.last_message_at = who, at
        self.last_text = text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"

    def public(self, now: datetime) -> dict[str, Any]:
        waiting = max(0, int((now - self.waiting_since).total_seconds())) if self.waiting_since else None
        return {
            "id": self.id,
            "channel": self.channel,
            "customer_id": self.customer_id,
            "language": self.language,
            "intent": self.intent,
            "affect": {
                "label": self.affect_label,
                "score": round(self.affect_score, 3),
                "intensity": round(self.affect_intensity, 3),
            },
            "anger": round(self.anger, 3),
            "handoff": self.handoff,
            "handoff_reason": self.handoff_reason,
            "operator": self.operator,
            "started_at": _iso(self.started_at),
            "queued_at": _iso(self.queued_at),
            "waiting_since": _iso(self.waiting_since),
            "waiting_seconds": waiting,
            "last_message_at": _iso(self.last_message_at),
            "last_message": {"who": self.last_speaker, "text": self.last_text} if self.last_speaker else None,
            "turns": self.turns,
            "csat": self.csat,
            "last_seq": self.last_seq,
        }


def queue_order(row: dict[str, Any]) -> tuple[float, float]:
    """Handoff queue order: angriest first, then longest waiting."""
    return (-float(row.get("anger") or 0.0), -float(row.get("waiting_seconds") or 0))


class ConsoleFeed:
    """Summaries (cached, topped up from the event log) and the console channel's frames."""

    def __init__(
        self,
        pubsub: FramePubSub,
        store: SqlEventStore,
        conversations: ConversationRepository,
        customers: CustomerRepository,
        *,
        operators: OperatorRepository,
        clock: Callable[[], datetime] = _utcnow,
        cache_size: int = 4096,
    ) -> None:
        self.pubsub = pubsub
        self.store = store
        self.conversations = conversations
        self.customers = customers
        self.clock = clock
        # display names of operators, for what customers see (frames, resume, the customer's event log)
        self.names = OperatorNames(operators)
        self._cache: OrderedDict[str, ConversationSummary] = OrderedDict()
        self._names: OrderedDict[str, dict[str, Any] | None] = OrderedDict()
        self._locks = KeyedLocks(cache_size)
        self._cache_size = cache_size

    def lock(self, conversation_id: str) -> asyncio.Lock:
        """Serialises operator actions on one conversation in this process (see `server.operators.actions`)."""
        return self._locks(conversation_id)

    # ------------------------------------------------------------------ reads

    async def summary(self, conversation_id: str) -> ConversationSummary | None:
        """The conversation's summary, topped up with every event appended since it was cached."""
        cached = self._cache.get(conversation_id)
        events = await self.store.load(conversation_id, after=cached.last_seq if cached else 0)
        summary = self._cache.get(conversation_id) or cached  # another task may have cached it meanwhile
        if summary is None:
            if not events:
                return None
            summary = ConversationSummary(conversation_id)
        for event in events:
            summary.apply(event)
        self._remember(summary)
        return summary

    async def view(self, conversation_id: str) -> dict[str, Any] | None:
        summary = await self.summary(conversation_id)
        return await self._public(summary) if summary else None

    async def views(self, conversation_ids: Iterable[str],
                    known: Mapping[str, int] | None = None) -> list[dict[str, Any]]:
        """The summaries of many conversations, in the order given (unknown ones left out), topped up from the log in
        one query per few hundred conversations whatever their number, and their customers likewise. `known`: the
        last seq of each (from its conversation row), so one with nothing new is not read at all."""
        ids = list(dict.fromkeys(conversation_ids))
        after = {cid: cached.last_seq if (cached := self._cache.get(cid)) else 0 for cid in ids}
        stale = {cid: seq for cid, seq in after.items() if known is None or known.get(cid, seq + 1) > seq}
        loaded = await self.store.load_many(stale) if stale else {}
        summaries = []
        for cid in ids:
            summary = self._cache.get(cid)
            events = loaded.get(cid, [])
            if summary is None:
                if not events:
                    continue
                summary = ConversationSummary(cid)
            for event in events:
                summary.apply(event)
            self._remember(summary)
            summaries.append(summary)
        await self._customers({s.customer_id for s in summaries if s.customer_id})
        return [await self._public(s) for s in summaries]

    async def live(self, *, limit: int = 50) -> list[dict[str, Any]]:
        """Every conversation waiting for or held by a human, plus the `limit` newest ones:
        the queue first (angriest, then longest waiting), then held ones, then the rest by last activity.
        A bounded number of queries, however many conversations there are (see `views`)."""

        def listed() -> list[ConversationRow]:
            held = self.conversations.list_recent(handoff="queued", limit=500)
            held += self.conversations.list_recent(handoff="operator", limit=500)
            return held + self.conversations.list_recent(limit=limit)

        conversations = await asyncio.to_thread(listed)
        rows = await self.views([c.id for c in conversations], {c.id: c.last_seq for c in conversations})
        rank = {"queued": 0, "operator": 1, "bot": 2}
        queue = sorted((r for r in rows if r["handoff"] == "queued"), key=queue_order)
        rest = sorted(
            (r for r in rows if r["handoff"] != "queued"), key=lambda r: r["last_message_at"] or "", reverse=True
        )
        return queue + sorted(rest, key=lambda r: rank.get(r["handoff"], 3))

    async def _public(self, summary: ConversationSummary) -> dict[str, Any]:
        row = summary.public(self.clock())
        row["customer"] = await self._customer(summary.customer_id) if summary.customer_id else None
        return row

    async def _customer(self, customer_id: str) -> dict[str, Any] | None:
        if customer_id not in self._names:
            self._name(customer_id, await asyncio.to_thread(self.customers.get, customer_id))
        return self._names.get(customer_id)

    async def _customers(self, customer_ids: Iterable[str]) -> None:
        """Look up every customer not cached yet, at once."""
        missing = [c for c in customer_ids if c not in self._names]
        if missing:
            found = await asyncio.to_thread(self.customers.get_many, missing)
            for customer_id in missing:
                self._name(customer_id, found.get(customer_id))

    def _name(self, customer_id: str, found: CustomerRow | None) -> None:
        self._names[customer_id] = (
            {"id": found.id, "name": found.name, "tier": found.tier, "language": found.language} if found else None
        )
        while len(self._names) > self._cache_size:
            self._names.popitem(last=False)

    def _remember(self, summary: ConversationSummary) -> None:
        self._cache[summary.id] = summary
        self._cache.move_to_end(summary.id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    # --------------------------------------------------------------- publish

    async def publish(self, conversation_id: str, events: Sequence[Event]) -> None:
        """Called with each batch of stored events: update the summary, keep `conversations.handoff` in
        step (it selects the queue), tell every console."""
        if not events:
            return
        try:
            summary = self._cache.get(conversation_id)
            if summary is None or events[0].seq > summary.last_seq + 1:
                summary = await self.summary(conversation_id)  # the log already holds `events`
            else:
                for event in events:
                    summary.apply(event)
            if summary is None:
                return
            if any(e.type in HANDOFF_EVENTS for e in events):
                await asyncio.to_thread(self.conversations.set_handoff, conversation_id, summary.handoff)
            if not self.pubsub.heard(CONSOLE_CHANNEL):  # no console open: the summary is kept, no frame is built
                return
            await self.pubsub.publish(
                CONSOLE_CHANNEL,
                {
                    "type": "conversation",
                    "conversation": await self._public(summary),
                    "events": [e.to_dict() for e in events],
                    "now": self.clock().isoformat(),
                },
            )
        except Exception:  # the console is a bystander: a failure here must not fail the customer's turn
            log.exception("console update failed for conversation %s", conversation_id)

    async def customer_typing(self, conversation_id: str, on: bool) -> None:
        await self.pubsub.publish(
            CONSOLE_CHANNEL, {"type": "typing", "conversation_id": conversation_id, "who": "customer", "on": on}
        )

    async def note_added(self, note: NoteRow) -> None:
        await self.pubsub.publish(
            CONSOLE_CHANNEL, {"type": "note", "conversation_id": note.conversation_id, "note": note.public()}
        )

    async def csat_requested(self, conversation_id: str, operator: str) -> None:
        await self.pubsub.publish(
            CONSOLE_CHANNEL,
            {
                "type": "csat_requested",
                "conversation_id": conversation_id,
                "operator": operator,
                "now": self.clock().isoformat(),
            },
        )
