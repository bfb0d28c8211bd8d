"""Conversations (tokens stored only as hashes) and customers, on both engines."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from server.db.conversations import ConversationRepository
from server.db.customers import CustomerRepository
from server.db.errors import UnknownConversation
from server.db.models import Conversation

pytestmark = pytest.mark.integration


def test_create_and_verify_token(seeded) -> None:
    repo = ConversationRepository(seeded)
    cid, token = repo.create(channel="web", customer_id="C00001", language="zh")
    assert len(cid) == 32 and len(token) >= 40
    with seeded() as s:
        stored = s.scalar(select(Conversation.token_hash).where(Conversation.id == cid))
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored
    row = repo.verify(cid, token)
    assert row is not None and (row.customer_id, row.language, row.handoff, row.last_seq) == ("C00001", "zh", "bot", 0)
    assert row.created_at.tzinfo is not None
    assert repo.verify(cid, token + "x") is None
    assert repo.verify(cid, "") is None
    assert repo.verify("0" * 32, token) is None


def test_tokens_are_unique_per_conversation(seeded) -> None:
    repo = ConversationRepository(seeded)
    a, token_a = repo.create(channel="api")
    b, token_b = repo.create(channel="voice")
    assert a != b and token_a != token_b
    assert repo.verify(b, token_a) is None


def test_handoff_and_listing(seeded) -> None:
    repo = ConversationRepository(seeded)
    cid, _ = repo.create(channel="web")
    repo.set_handoff(cid, "queued")
    assert repo.get(cid).handoff == "queued"
    assert [r.id for r in repo.list_recent(handoff="queued")] == [cid]
    assert repo.list_recent(handoff="operator") == []
    with pytest.raises(ValueError):
        repo.set_handoff(cid, "lunch")
    with pytest.raises(UnknownConversation):
        repo.set_handoff("0" * 32, "bot")
    with pytest.raises(ValueError):
        repo.create(channel="fax")
    assert repo.get("0" * 32) is None


def test_customers(seeded) -> None:
    repo = CustomerRepository(seeded)
    assert repo.get("C00001").name == "王芳"
    assert repo.get("C99999") is None
    demo = repo.list_demo(limit=5)
    assert [c["customer_id"] for c in demo] == ["C00001", "C00002"]
    assert demo[0]["language"] == "zh"
    assert [o["order_id"] for o in demo[0]["orders"]] == ["KF10000002", "KF10000001"]
    assert demo[0]["orders"][0] == {
        "order_id": "KF10000002",
        "status": "shipped",
        "placed_at": "2026-11-06T08:00:00+00:00",
    }
