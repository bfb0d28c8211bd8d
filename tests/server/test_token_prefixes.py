"""New conversation tokens and operator sessions carry a recognisable prefix (`kefu_ct_`, `kefu_os_`), which
the logs mask; tokens issued before the prefix (stored, like all, as a hash of the whole string) still work."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from server.db.conversations import ConversationRepository, hash_token
from server.db.engine import make_engine, make_session_factory
from server.db.migrate import upgrade
from server.db.models import Conversation
from server.db.operators import OperatorRepository
from server.infra.logs import mask
from server.operators.accounts import OperatorAuth
from server.operators.passwords import Passwords

pytestmark = pytest.mark.integration

LEGACY = "Zb3kQ9x_old-style-token-without-a-prefix-0123"  # what `secrets.token_urlsafe(32)` gave before


@pytest.fixture
def sessions(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def test_conversation_tokens_are_prefixed_masked_and_old_ones_verify(sessions: sessionmaker[Session]) -> None:
    repo = ConversationRepository(sessions)
    cid, token = repo.create(channel="web")
    assert token.startswith("kefu_ct_") and len(token) >= 48 and repo.verify(cid, token) is not None
    assert token[8:] not in mask(f"opened {cid} with {token}")

    with sessions.begin() as s:  # a conversation opened before the prefix
        s.execute(update(Conversation).where(Conversation.id == cid).values(token_hash=hash_token(LEGACY)))
    assert repo.verify(cid, LEGACY) is not None and repo.verify(cid, token) is None


def test_operator_sessions_are_prefixed_masked_and_old_ones_verify(sessions: sessionmaker[Session]) -> None:
    auth = OperatorAuth(OperatorRepository(sessions),
                        passwords=Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)))
    auth.register(username="wang", display_name="Wang", role="operator", password="correct horse battery")
    result = auth.login("wang", "correct horse battery")
    assert result.token.startswith("kefu_os_") and auth.authenticate(result.token) is not None
    assert result.token[8:] not in mask(f"Authorization: Bearer {result.token}")

    now = datetime.now(UTC)
    auth.repo.create_session(result.operator.id, hash_token(LEGACY), now=now, expires_at=now + timedelta(hours=1))
    operator = auth.authenticate(LEGACY)
    assert operator is not None and operator.username == "wang"
