"""Engine and session factory for SQLite (development, demo) and PostgreSQL (production).

The same models and repositories run on both; this module hides the connection differences.
"""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

DEFAULT_URL = "sqlite:///var/kefu.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalize_url(url: str | URL) -> URL:
    """`postgresql://` and `postgres://` become `postgresql+psycopg://` (psycopg 3 is the installed driver)."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _json_default(value: Any) -> Any:
    """Keep payloads storable even if a tool puts a Decimal or date in them (stored as strings)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_dumps(value: Any) -> str:
    """Compact JSON text, non-ASCII as is: orjson (a turn stores ~10 payloads, ~20x cheaper than `json.dumps`), or
    `json.dumps` for what orjson refuses (an int past 64 bits, a non-string key)."""
    try:
        return orjson.dumps(value, default=_json_default).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, default=_json_default)


# Pages read through a memory map instead of a read(2) each: every write by one pooled connection makes the others
# read their pages again, ~90 reads a turn under load (`bench/load.py`: server CPU 5.4-5.6 → 4.9-5.3 ms a turn at
# 2,000 sockets, 100 turns/s, interleaved). Address space, not memory: the OS page cache holds the pages either way.
SQLITE_MMAP_BYTES = 256 * 1024 * 1024


def _is_memory_sqlite(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or "mode=memory" in str(url)


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    if not _is_memory_sqlite(url) and url.database and not url.database.startswith("file:"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    extra: dict[str, Any] = {}
    if _is_memory_sqlite(url):
        extra["poolclass"] = StaticPool  # one shared in-memory database across threads
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        json_serializer=json_dumps,
        **extra,
        **kwargs,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        try:
            if not _is_memory_sqlite(url):
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    return engine


def make_engine(url: str | URL, *, connect_timeout_s: float | None = None, statement_timeout_s: float | None = None,
                pool_timeout_s: float | None = None, **kwargs: Any) -> Engine:
    """Create an engine for a SQLite or PostgreSQL URL with sensible, engine-specific settings.

    PostgreSQL: a pooled connection is checked before use (`pool_pre_ping`: after a restart the pool reconnects
    instead of failing a request); the timeouts bound a new connection, one statement (0: none) and the wait for
    a pooled connection, so a database that is down or stalled fails a call in bounded time."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        if pool_timeout_s is not None:
            kwargs.setdefault("pool_timeout", pool_timeout_s)
        connect_args = kwargs.pop("connect_args", {})
        options = "-c timezone=UTC"
        if statement_timeout_s:
            options += f" -c statement_timeout={int(statement_timeout_s * 1000)}"
        connect_args.setdefault("options", options)
        if connect_timeout_s is not None:
            connect_args.setdefault("connect_timeout", max(1, round(connect_timeout_s)))
        return create_engine(parsed, connect_args=connect_args, json_serializer=json_dumps, **kwargs)
    return create_engine(parsed, json_serializer=json_dumps, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded attributes after commit (repositories return plain views anyway)."""
    return sessionmaker(engine, expire_on_commit=False)
