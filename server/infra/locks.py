"""Cross-process locks on PostgreSQL: one conversation's turns at a time across workers, one migrator at a time.

`PgTurnLock` implements `agent.protocols.TurnLock` with a session-level advisory lock,
`pg_advisory_lock(KEFU_TURN, hashtext(conversation_id))`, taken on a dedicated async connection (psycopg) so a
waiting turn blocks neither a thread nor a connection of the SQLAlchemy pool that the turn itself needs. A
worker that dies releases its locks with its connections. A hash collision only serialises two unrelated
conversations, never breaks one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

KEFU_TURN = 0x6B656675  # "kefu": the advisory-lock class of conversation turns
KEFU_MIGRATE = 0x6B656676  # one migrator at a time when several workers start together


class TurnLockTimeout(TimeoutError):
    """Another worker held the conversation's lock for longer than `timeout_s` (a stuck turn)."""


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (`postgresql+psycopg://…`) as psycopg wants it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PgTurnLock:
    """Advisory lock per conversation; idle connections are kept for reuse, at most `max_connections` in use."""

    def __init__(self, database_url: str, *, timeout_s: float = 60.0, max_connections: int = 32,
                 keep_idle: int = 4, connect_timeout_s: float = 5.0) -> None:
        self._conninfo = libpq_url(database_url)
        self._connect_timeout = max(1, round(connect_timeout_s))
        self._timeout_ms = int(timeout_s * 1000)
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: list[psycopg.AsyncConnection] = []
        self._keep_idle = keep_idle

    @contextlib.asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        async with self._slots:
            conn = await self._connection()
            try:
                try:
                    await conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (KEFU_TURN, conversation_id))
                except psycopg.OperationalError as exc:  # an idle connection the database dropped (a restart)
                    if isinstance(exc, psycopg.errors.LockNotAvailable):
                        raise
                    await conn.close()
                    conn = await self._connect()  # once more on a new one
                    await conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (KEFU_TURN, conversation_id))
            except psycopg.errors.LockNotAvailable as exc:
                await conn.close()
                raise TurnLockTimeout(f"conversation {conversation_id} stayed locked") from exc
            except BaseException:  # cancelled or failed while waiting: closing the session drops any lock it got
                await conn.close()
                raise
            try:
                yield
            finally:
                await self._release(conn, conversation_id)

    async def _connection(self) -> psycopg.AsyncConnection:
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed:
                return conn
        return await self._connect()

    async def _connect(self) -> psycopg.AsyncConnection:
        return await psycopg.AsyncConnection.connect(
            self._conninfo, autocommit=True, options=f"-c lock_timeout={self._timeout_ms}",
            application_name="kefu-turn-lock", connect_timeout=self._connect_timeout)

    async def _release(self, conn: psycopg.AsyncConnection, conversation_id: str) -> None:
        try:
            await conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (KEFU_TURN, conversation_id))
        except BaseException:  # failed or cancelled: ending the session is what releases the lock then
            log.warning("could not unlock conversation %s; closing its lock connection instead", conversation_id)
            await conn.close()
            raise
        if len(self._idle) < self._keep_idle:
            self._idle.append(conn)
        else:
            await conn.close()

    async def aclose(self) -> None:
        while self._idle:
            await self._idle.pop().close()


@contextlib.contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Serialises start-up migrations of workers sharing a PostgreSQL database (no-op elsewhere)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SET statement_timeout = 0"))  # waiting for another worker's migrations may take long
        conn.execute(text("SELECT pg_advisory_lock(:k, 0)"), {"k": KEFU_MIGRATE})
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k, 0)"), {"k": KEFU_MIGRATE})
            conn.execute(text("RESET statement_timeout"))
            conn.commit()
