"""`OperatorRepository`: console accounts, login sessions, private notes, and the console's reads.

Storage only: password hashing and the sign-in rules live in `server.operators.accounts`; this module
takes hashes as arguments. Session tokens arrive already hashed (SHA-256), so a database leak exposes no
usable session. A disabled account (`disabled_at` set) has no session and none is ever read as valid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from server.db.errors import UnknownConversation
from server.db.models import OPERATOR_ROLES, Conversation, ConversationNote, Operator, OperatorSession
from server.db.rows import to_row


class DuplicateOperator(ValueError):
    """An operator with this username exists already."""


class UnknownOperator(KeyError):
    """No operator with this username or id."""


@dataclass(frozen=True, slots=True)
class OperatorRow:
    id: int
    username: str
    display_name: str
    role: str
    created_at: datetime
    disabled_at: datetime | None

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None

    def public(self) -> dict[str, object]:
        return {"id": self.id, "username": self.username, "display_name": self.display_name, "role": self.role}


@dataclass(frozen=True, slots=True)
class Credentials:
    operator: OperatorRow
    password_hash: str


@dataclass(frozen=True, slots=True)
class NoteRow:
    id: int
    conversation_id: str
    operator: str  # username
    display_name: str
    text: str
    at: datetime

    def public(self) -> dict[str, object]:
        return {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "operator": self.operator,
            "display_name": self.display_name,
            "text": self.text,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class PastConversation:
    id: str
    channel: str
    created_at: datetime


def _row(op: Operator) -> OperatorRow:
    return to_row(OperatorRow, op)


def _now() -> datetime:
    return datetime.now(UTC)


class OperatorRepository:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    # -------------------------------------------------------------- accounts

    def create(
        self, *, username: str, display_name: str, role: str, password_hash: str, now: datetime | None = None
    ) -> OperatorRow:
        if role not in OPERATOR_ROLES:
            raise ValueError(f"unknown role {role!r}; use one of {', '.join(OPERATOR_ROLES)}")
        try:
            with self._sessions.begin() as session:
                op = Operator(
                    username=username,
                    display_name=display_name,
                    role=role,
                    password_hash=password_hash,
                    created_at=now or _now(),
                )
                session.add(op)
                session.flush()
                return _row(op)
        except IntegrityError as exc:
            raise DuplicateOperator(f"an operator named {username!r} exists already") from exc

    def get(self, operator_id: int) -> OperatorRow | None:
        with self._sessions() as session:
            op = session.get(Operator, operator_id)
            return _row(op) if op else None

    def by_username(self, username: str) -> OperatorRow | None:
        creds = self.credentials(username)
        return creds.operator if creds else None

    def credentials(self, username: str) -> Credentials | None:
        with self._sessions() as session:
            op = session.scalars(select(Operator).where(Operator.username == username)).one_or_none()
            return Credentials(_row(op), op.password_hash) if op else None

    def display_names(self, usernames: Iterable[str]) -> dict[str, str]:
        """username → display name of the given operators (unknown usernames are left out)."""
        names = sorted(set(usernames))
        if not names:
            return {}
        stmt = select(Operator.username, Operator.display_name).where(Operator.username.in_(names))
        with self._sessions() as session:
            return {username: display for username, display in session.execute(stmt)}

    def list_operators(self) -> list[OperatorRow]:
        with self._sessions() as session:
            return [_row(op) for op in session.scalars(select(Operator).order_by(Operator.username))]

    def set_password(self, username: str, password_hash: str) -> OperatorRow:
        """New password hash; also ends every session of the account (whoever signed in with the old password
        is signed out)."""
        with self._sessions.begin() as session:
            op = self._by_username(session, username)
            op.password_hash = password_hash
            session.execute(delete(OperatorSession).where(OperatorSession.operator_id == op.id))
            return _row(op)

    def set_disabled(self, username: str, disabled: bool, *, now: datetime | None = None) -> OperatorRow:
        """Disable (ending every session of the account in the same transaction) or enable again. Disabling a
        disabled account keeps its first `disabled_at`."""
        with self._sessions.begin() as session:
            op = self._by_username(session, username)
            if disabled:
                op.disabled_at = op.disabled_at or now or _now()
                session.execute(delete(OperatorSession).where(OperatorSession.operator_id == op.id))
            else:
                op.disabled_at = None
            return _row(op)

    def record_login(self, operator_id: int, *, password_hash: str | None = None) -> None:
        """After a successful login: store the password re-hashed with current parameters, if given."""
        if not password_hash:
            return
        with self._sessions.begin() as session:
            session.execute(
                update(Operator)
                .where(Operator.id == operator_id)
                .values(password_hash=password_hash)
                .execution_options(synchronize_session=False)
            )

    @staticmethod
    def _by_username(session: Session, username: str) -> Operator:
        op = session.scalars(select(Operator).where(Operator.username == username)).one_or_none()
        if op is None:
            raise UnknownOperator(username)
        return op

    # -------------------------------------------------------------- sessions

    def create_session(self, operator_id: int, token_hash: str, *, now: datetime, expires_at: datetime) -> None:
        with self._sessions.begin() as session:
            session.add(
                OperatorSession(token_hash=token_hash, operator_id=operator_id, created_at=now, expires_at=expires_at)
            )

    def session_operator(self, token_hash: str, *, now: datetime) -> OperatorRow | None:
        """The operator whose unexpired session has this token hash (never a disabled one)."""
        stmt = (
            select(Operator)
            .join(OperatorSession, OperatorSession.operator_id == Operator.id)
            .where(
                OperatorSession.token_hash == token_hash,
                OperatorSession.expires_at > now,
                Operator.disabled_at.is_(None),
            )
        )
        with self._sessions() as session:
            op = session.scalars(stmt).one_or_none()
            return _row(op) if op else None

    def delete_session(self, token_hash: str) -> None:
        with self._sessions.begin() as session:
            session.execute(delete(OperatorSession).where(OperatorSession.token_hash == token_hash))

    def purge_sessions(self, *, now: datetime) -> int:
        """Drop expired sessions; returns how many."""
        with self._sessions.begin() as session:
            result = session.execute(delete(OperatorSession).where(OperatorSession.expires_at <= now))
            return result.rowcount or 0

    # ----------------------------------------------------------------- notes

    def add_note(self, conversation_id: str, operator_id: int, text: str, *, now: datetime | None = None) -> NoteRow:
        with self._sessions.begin() as session:
            if session.get(Conversation, conversation_id) is None:
                raise UnknownConversation(conversation_id)
            op = session.get(Operator, operator_id)
            if op is None:
                raise UnknownOperator(operator_id)
            note = ConversationNote(
                conversation_id=conversation_id, operator_id=operator_id, text=text, at=now or _now()
            )
            session.add(note)
            session.flush()
            return NoteRow(note.id, conversation_id, op.username, op.display_name, text, note.at)

    def notes(self, conversation_id: str) -> list[NoteRow]:
        stmt = (
            select(ConversationNote, Operator.username, Operator.display_name)
            .join(Operator, Operator.id == ConversationNote.operator_id)
            .where(ConversationNote.conversation_id == conversation_id)
            .order_by(ConversationNote.at, ConversationNote.id)
        )
        with self._sessions() as session:
            return [
                NoteRow(n.id, n.conversation_id, username, name, n.text, n.at)
                for n, username, name in session.execute(stmt)
            ]

    # --------------------------------------------------------- console reads

    def customer_conversations(
        self, customer_id: str, *, exclude: str | None = None, limit: int = 10
    ) -> list[PastConversation]:
        """The customer's other conversations, newest first (the console's "past conversations")."""
        stmt = (
            select(Conversation.id, Conversation.channel, Conversation.created_at)
            .where(Conversation.customer_id == customer_id)
            .order_by(Conversation.created_at.desc(), Conversation.id)
            .limit(limit)
        )
        if exclude:
            stmt = stmt.where(Conversation.id != exclude)
        with self._sessions() as session:
            return [PastConversation(cid, channel, at) for cid, channel, at in session.execute(stmt)]
