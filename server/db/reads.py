"""One session for a run of reads on one thread: the offer answer's dozen reads through several stores take one pooled
connection, not one checkout (and one session set up and torn down) each.

`shared_reads(factory)` opens the scope on the calling thread; inside it, every `reading(factory)` on that thread
uses the scope's session; outside one, `reading` is a session of its own, as `with factory() as s` was. Writes never
join a scope (they keep `factory.begin()`, their own transaction and commit). Each statement still reads what is
committed when it runs (SQLite runs a SELECT outside a transaction; PostgreSQL's READ COMMITTED reads each
statement's snapshot), so a scope adds no staleness, and it ends with the answer.

Thread-local, not a context variable: a session is not for two threads, and `asyncio.to_thread` copies context
variables into the worker thread it runs on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

_local = threading.local()


@contextmanager
def shared_reads(factory: sessionmaker[Session]) -> Iterator[None]:
    """Every `reading(factory)` on this thread inside uses one session (nested scopes: the outer one serves)."""
    if getattr(_local, "scope", None) is not None:
        yield
        return
    with factory() as session:
        _local.scope = (factory, session)
        try:
            yield
        finally:
            _local.scope = None


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """The scope's session when this thread is inside `shared_reads(factory)`, else a session of its own. A read
    that fails inside a scope rolls the scope's session back, so the reads after it are not refused for it (a
    PostgreSQL transaction is refused after an error until rolled back)."""
    scope = getattr(_local, "scope", None)
    if scope is None or scope[0] is not factory:
        with factory() as session:
            yield session
        return
    session = scope[1]
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
