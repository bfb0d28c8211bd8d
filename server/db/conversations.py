"""`ConversationRepository`: conversations and their bearer tokens (only a SHA-256 hash is stored), and the
claim that decides which operator holds a conversation (`claim` / `release`, atomic across workers)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from server.db.errors import UnknownConversation
from server.db.models import CHANNELS, HANDOFF_STATUSES, Conversation
from server.db.rows import to_row

# Issued tokens carry a prefix (like GitHub's `ghp_`) so that logs can mask them and scanners can find them;
# only the hash of the whole string is stored, so tokens issued before the prefix still verify.
CONVERSATION_TOKEN_PREFIX = "kefu_ct_"


@dataclass(frozen=True, slots=True)
class ConversationRow:
    id: str
    channel: str
    customer_id: str | None
    language: str | None
    created_at: datetime
    last_seq: int
    handoff: str
    held_by: str | None = None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _row(conv: Conversation) -> ConversationRow:
    return to_row(ConversationRow, conv)


class ConversationRepository:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def create(
        self,
        *,
        channel: str,
        customer_id: str | None = None,
        language: str | None = None,
        now: datetime | None = None,
    ) -> tuple[str, str]:
        """New conversation; returns `(conversation_id, token)`. The token is shown only this once."""
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        conversation_id = uuid.uuid4().hex
        token = CONVERSATION_TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._sessions.begin() as session:
            session.add(
                Conversation(
                    id=conversation_id,
                    channel=channel,
                    customer_id=customer_id,
                    language=language,
                    token_hash=hash_token(token),
                    created_at=now or datetime.now(UTC),
                    last_seq=0,
                    handoff="bot",
                )
            )
        return conversation_id, token

    def verify(self, conversation_id: str, token: str) -> ConversationRow | None:
        """The conversation if `token` is its token (constant-time compare), else None."""
        with self._sessions() as session:
            conv = session.get(Conversation, conversation_id)
            if conv is None or not token:
                return None
            if not hmac.compare_digest(conv.token_hash, hash_token(token)):
                return None
            return _row(conv)

    def get(self, conversation_id: str) -> ConversationRow | None:
        with self._sessions() as session:
            conv = session.get(Conversation, conversation_id)
            return _row(conv) if conv else None

    def set_handoff(self, conversation_id: str, status: str) -> None:
        if status not in HANDOFF_STATUSES:
            raise ValueError(f"unknown handoff status {status!r}")
        with self._sessions.begin() as session:
            result = session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id)
                .values(handoff=status)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 0:
                raise UnknownConversation(conversation_id)

    # ----------------------------------------------------------- operator claim

    def claim(self, conversation_id: str, operator: str, *, replacing: str | None = None) -> bool:
        """Make `operator` the holder, atomically: one conditional UPDATE, so of two operators (on any
        workers) claiming a free conversation at once exactly one wins. It succeeds if nobody holds the
        conversation, `operator` already does, or `replacing` does (a supervisor taking over from the
        holder they saw; if that holder has let go meanwhile, the claim fails rather than guess).
        False when it fails (`holder` says who holds it then)."""
        allowed = [Conversation.held_by == operator]
        allowed.append(Conversation.held_by == replacing if replacing else Conversation.held_by.is_(None))
        return self._set_holder(conversation_id, operator, allowed)

    def release(self, conversation_id: str, holder: str | None) -> bool:
        """Let go of the conversation if `holder` (or nobody) holds it; False if someone else does."""
        allowed = [Conversation.held_by.is_(None)]
        if holder:
            allowed.append(Conversation.held_by == holder)
        return self._set_holder(conversation_id, None, allowed)

    def _set_holder(self, conversation_id: str, holder: str | None, allowed: list[ColumnElement[bool]]) -> bool:
        """One conditional UPDATE of `held_by`, applied only while one of `allowed` holds (atomic across
        workers); False when none does, `UnknownConversation` when the row does not exist."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id, or_(*allowed))
                .values(held_by=holder)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                return True
            if session.get(Conversation, conversation_id) is None:
                raise UnknownConversation(conversation_id)
            return False

    def holder(self, conversation_id: str) -> str | None:
        with self._sessions() as session:
            return session.execute(select(Conversation.held_by).where(Conversation.id == conversation_id)).scalar()

    def list_recent(self, *, handoff: str | None = None, limit: int = 50) -> list[ConversationRow]:
        """Newest conversations first, optionally only those in one handoff state (operator queue)."""
        stmt = select(Conversation).order_by(Conversation.created_at.desc(), Conversation.id).limit(limit)
        if handoff:
            stmt = stmt.where(Conversation.handoff == handoff)
        with self._sessions() as session:
            return [_row(c) for c in session.scalars(stmt)]
