"""Operator accounts on SQLite and PostgreSQL: password hashing, sessions with a fake clock, no account
lock-out, disabling, private notes, and the `kefu operator` commands."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from server.db.conversations import ConversationRepository
from server.db.engine import make_engine, make_session_factory
from server.db.errors import UnknownConversation
from server.db.operators import DuplicateOperator, OperatorRepository, UnknownOperator
from server.operators.accounts import (
    SESSION_TTL,
    InvalidAccount,
    InvalidCredentials,
    OperatorAuth,
)
from server.operators.passwords import Passwords, WeakPassword, check_policy

PASSWORD = "correct horse battery"
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
KEFU = str(Path(sys.executable).with_name("kefu"))
ROOT = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def repo(migrated_db_url: str) -> Iterator[OperatorRepository]:
    engine = make_engine(migrated_db_url)
    try:
        yield OperatorRepository(make_session_factory(engine))
    finally:
        engine.dispose()


@pytest.fixture
def auth(repo: OperatorRepository, clock: Clock) -> OperatorAuth:
    return OperatorAuth(repo, passwords=Passwords(CHEAP), clock=clock)


# ------------------------------------------------------------------------------------------ passwords


@pytest.mark.unit
def test_passwords_are_argon2id_and_verify_only_the_right_one() -> None:
    pw = Passwords()
    h = pw.hash(PASSWORD)
    assert h.startswith("$argon2id$") and PASSWORD not in h
    assert pw.hash(PASSWORD) != h  # salted
    assert pw.verify(h, PASSWORD)
    assert not pw.verify(h, PASSWORD + " ")
    assert not pw.verify("not a hash", PASSWORD)
    assert not pw.needs_rehash(h)
    assert Passwords(CHEAP).needs_rehash(h)  # parameters changed: re-hash at the next login


@pytest.mark.unit
def test_password_policy() -> None:
    check_policy("long enough", username="amy")
    for bad, user in (("short", ""), ("x" * 1025, ""), ("Amy.Li.2026", "amy.li.2026")):
        with pytest.raises(WeakPassword):
            check_policy(bad, username=user)


# ------------------------------------------------------------------------------------- accounts & login


@pytest.mark.integration
def test_register_normalizes_and_refuses_duplicates_and_bad_input(auth: OperatorAuth) -> None:
    row = auth.register(username="  Amy.Li ", display_name="李艾米", role="supervisor", password=PASSWORD)
    assert (row.username, row.display_name, row.role, row.disabled) == ("amy.li", "李艾米", "supervisor", False)
    with pytest.raises(DuplicateOperator):
        auth.register(username="AMY.LI", display_name="x", role="operator", password=PASSWORD)
    for kwargs in ({"username": "a"}, {"username": "bad name"}, {"role": "boss"}, {"password": "short"},
                   {"display_name": "x" * 81}):
        args = {"username": "bob", "display_name": "Bob", "role": "operator", "password": PASSWORD} | kwargs
        with pytest.raises(InvalidAccount):
            auth.register(**args)
    assert [r.username for r in auth.repo.list_operators()] == ["amy.li"]


@pytest.mark.integration
def test_login_issues_a_session_that_expires_and_can_be_revoked(auth: OperatorAuth, clock: Clock) -> None:
    auth.register(username="wang", display_name="Wang", role="operator", password=PASSWORD)
    result = auth.login("WANG", PASSWORD)
    assert result.expires_at == clock.now + SESSION_TTL and len(result.token) >= 40
    assert auth.authenticate(result.token).username == "wang"  # type: ignore[union-attr]
    assert auth.authenticate(result.token[:-1] + "x") is None
    assert auth.authenticate("x" * 5000) is None
    clock.now += SESSION_TTL - timedelta(seconds=1)
    assert auth.authenticate(result.token) is not None
    clock.now += timedelta(seconds=1)
    assert auth.authenticate(result.token) is None  # expired

    other = auth.login("wang", PASSWORD)  # also purges the expired session
    assert auth.repo.purge_sessions(now=clock.now) == 0
    auth.logout(other.token)
    assert auth.authenticate(other.token) is None


@pytest.mark.integration
def test_failures_never_lock_the_account(auth: OperatorAuth) -> None:
    """The account keeps no failure count: guesses (throttled per address by the API) cannot lock it."""
    auth.register(username="li", display_name="Li", role="operator", password=PASSWORD)
    for _ in range(20):
        with pytest.raises(InvalidCredentials):
            auth.login("li", "wrong password")
    assert auth.login("li", PASSWORD).operator.username == "li"


@pytest.mark.integration
def test_a_new_password_ends_every_session(auth: OperatorAuth) -> None:
    auth.register(username="zhao", display_name="Zhao", role="operator", password=PASSWORD)
    sessions = [auth.login("zhao", PASSWORD).token for _ in range(2)]
    auth.change_password("zhao", "a brand new one")
    assert [auth.authenticate(t) for t in sessions] == [None, None]
    assert auth.login("zhao", "a brand new one").operator.username == "zhao"
    with pytest.raises(InvalidCredentials):
        auth.login("zhao", PASSWORD)
    with pytest.raises(UnknownOperator):
        auth.change_password("nobody", "a brand new one")


@pytest.mark.integration
def test_a_disabled_account_loses_its_sessions_and_cannot_sign_in(auth: OperatorAuth, clock: Clock) -> None:
    auth.register(username="qian", display_name="Qian", role="operator", password=PASSWORD)
    other = auth.register(username="sun", display_name="Sun", role="operator", password=PASSWORD)
    tokens = [auth.login("qian", PASSWORD).token for _ in range(2)]
    kept = auth.login("sun", PASSWORD).token
    row = auth.disable("QIAN")
    assert row.disabled and row.disabled_at == clock.now
    assert [auth.authenticate(t) for t in tokens] == [None, None]
    assert auth.authenticate(kept) == other  # other accounts keep theirs
    with pytest.raises(InvalidCredentials) as refused:  # the generic answer: no hint that it exists or is disabled
        auth.login("qian", PASSWORD)
    assert refused.value.message == "Wrong username or password."
    clock.now += timedelta(minutes=5)
    assert auth.disable("qian").disabled_at == row.disabled_at  # disabling again keeps the first time
    assert not auth.enable("qian").disabled
    assert [auth.authenticate(t) for t in tokens] == [None, None]  # old sessions stay ended
    assert auth.authenticate(auth.login("qian", PASSWORD).token).username == "qian"  # type: ignore[union-attr]
    with pytest.raises(UnknownOperator):
        auth.disable("nobody")


@pytest.mark.integration
def test_login_rehashes_a_password_hashed_with_old_parameters(repo: OperatorRepository, clock: Clock) -> None:
    OperatorAuth(repo, passwords=Passwords(CHEAP), clock=clock).register(
        username="chen", display_name="Chen", role="marketer", password=PASSWORD)
    old = repo.credentials("chen").password_hash  # type: ignore[union-attr]
    stronger = Passwords(PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    OperatorAuth(repo, passwords=stronger, clock=clock).login("chen", PASSWORD)
    new = repo.credentials("chen").password_hash  # type: ignore[union-attr]
    assert new != old and not stronger.needs_rehash(new)


# ------------------------------------------------------------------------------------------------ notes


@pytest.mark.integration
def test_notes_belong_to_a_conversation_and_name_their_author(auth: OperatorAuth, migrated_db_url: str) -> None:
    op = auth.register(username="sun", display_name="孙丽", role="operator", password=PASSWORD)
    engine = make_engine(migrated_db_url)
    try:
        conversations = ConversationRepository(make_session_factory(engine))
        cid, _ = conversations.create(channel="web")
        first = auth.repo.add_note(cid, op.id, "客户很着急")
        auth.repo.add_note(cid, op.id, "已联系仓库")
        notes = auth.repo.notes(cid)
        assert [n.text for n in notes] == ["客户很着急", "已联系仓库"]
        assert notes[0] == first and first.operator == "sun" and first.display_name == "孙丽"
        assert auth.repo.notes(conversations.create(channel="api")[0]) == []
        with pytest.raises(UnknownConversation):
            auth.repo.add_note("0" * 32, op.id, "lost")
    finally:
        engine.dispose()


# -------------------------------------------------------------------------------------------------- CLI


@pytest.mark.integration
def test_kefu_operator_add_list_passwd_disable_enable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kefu.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env.update({"KEFU_DATABASE_URL": url, "KEFU_LOG_LEVEL": "WARNING"})

    def kefu(*args: str, stdin: str | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([KEFU, "operator", *args], env=env | extra, input=stdin, capture_output=True,
                              text=True, timeout=120, cwd=ROOT)

    r = kefu("add", "Amy", "--role", "supervisor", "--name", "Amy Li", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert r.returncode == 0, r.stderr
    assert "operator amy (supervisor, Amy Li) created" in r.stdout
    r = kefu("add", "bob", KEFU_OPERATOR_PASSWORD="short")
    assert r.returncode == 2 and "at least 8 characters" in r.stderr
    r = kefu("add", "amy", "--password", PASSWORD)
    assert r.returncode == 2 and "exists already" in r.stderr
    r = kefu("passwd", "amy", KEFU_OPERATOR_PASSWORD="another good one")
    assert r.returncode == 0, r.stderr
    assert "its sessions have ended" in r.stdout
    r = kefu("list")
    assert r.stdout.split("\n")[0].split("\t") == ["amy", "supervisor", "Amy Li", "active"]

    engine = make_engine(url)
    try:
        auth = OperatorAuth(OperatorRepository(make_session_factory(engine)))
        session = auth.login("amy", "another good one")
        assert session.operator.display_name == "Amy Li"

        r = kefu("disable", "Amy")
        assert r.returncode == 0 and "operator amy disabled; its sessions have ended" in r.stdout, r.stderr
        assert auth.authenticate(session.token) is None
        with pytest.raises(InvalidCredentials):
            auth.login("amy", "another good one")
        state = kefu("list").stdout.split("\n")[0].split("\t")[3]
        assert state.startswith("disabled since ") and state.endswith(" UTC")

        r = kefu("enable", "amy")
        assert r.returncode == 0 and "operator amy enabled" in r.stdout
        assert kefu("list").stdout.split("\n")[0].endswith("\tactive")
        assert auth.login("amy", "another good one").operator.username == "amy"
        for command in ("disable", "enable"):
            r = kefu(command, "nobody")
            assert r.returncode == 2 and "no operator 'nobody'" in r.stderr
    finally:
        engine.dispose()
