"""Build the demo store: `build_demo_store(url)` migrates the database and fills it with a catalog,
customers, a year of orders with shipments, tracking, returns, campaigns and coupons.

Deterministic for a seed and `as_of` date; every date is relative to `as_of` (default: today UTC).
The CLI exposes it as `kefu demo-data --seed N`.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, text

from server.db.engine import make_engine
from server.db.migrate import upgrade
from server.db.models import STORE_TABLES_DELETE_ORDER, Base, Product

INSERT_CHUNK = 5_000
# Tables whose integer ids the generator assigns itself; PostgreSQL sequences must catch up after.
SERIAL_TABLES = ("order_lines", "shipments", "tracking_events", "return_lines", "dialogue_events", "reviews",
                 "browse_events")


class DemoStoreExists(ValueError):
    """The target database already holds a store; pass replace=True to wipe and rebuild it."""


@dataclass(frozen=True, slots=True)
class DemoReport:
    url: str
    seed: int
    as_of: date
    counts: dict[str, int]
    seconds: float
    generate_seconds: float
    write_seconds: float

    def summary(self) -> str:
        parts = ", ".join(f"{table}={n}" for table, n in self.counts.items())
        return f"demo store (seed {self.seed}, as of {self.as_of}) built in {self.seconds:.1f}s: {parts}"

    def __str__(self) -> str:
        return self.summary()


def store_has_products(url: str) -> bool:
    """True if the (migrated) database at `url` already holds a catalog; False if empty or never migrated."""
    from sqlalchemy import inspect

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("products"):
                return False
            return bool(conn.scalar(select(func.count()).select_from(Product)))
    finally:
        engine.dispose()


def build_demo_store(
    url: str,
    *,
    seed: int = 7,
    as_of: date | None = None,
    customers: int = 1000,
    orders: int = 10000,
    replace: bool = False,
) -> DemoReport:
    """Migrate `url` and fill it with the demo store; refuses a store with products unless `replace`."""
    from server.demo.generate import generate  # keeps `import server.demo.build` cheap

    started = _time.perf_counter()
    as_of = as_of or datetime.now(UTC).date()
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _refuse_existing(conn, url, replace)
        rows = generate(seed=seed, as_of=as_of, customers=customers, orders=orders)
        generated = _time.perf_counter()
        with engine.begin() as conn:
            _refuse_existing(conn, url, replace)
            if replace:
                _wipe(conn)
            _write(conn, rows)
            counts = {t: conn.scalar(select(func.count()).select_from(Base.metadata.tables[t])) or 0 for t in rows}
    finally:
        engine.dispose()
    done = _time.perf_counter()
    return DemoReport(url, seed, as_of, counts, done - started, generated - started, done - generated)


def _refuse_existing(conn: Connection, url: str, replace: bool) -> None:
    existing = conn.scalar(select(func.count()).select_from(Product)) or 0
    if existing and not replace:
        raise DemoStoreExists(
            f"the database at {url} already has {existing} products; pass replace=True (kefu demo-data --replace) "
            "to wipe every store table, conversations included, and rebuild"
        )


def _wipe(conn: Connection) -> None:
    for name in STORE_TABLES_DELETE_ORDER:
        conn.execute(delete(Base.metadata.tables[name]))


def _write(conn: Connection, rows: dict[str, list[dict[str, Any]]]) -> None:
    for name, table_rows in rows.items():
        table = Base.metadata.tables[name]
        for start in range(0, len(table_rows), INSERT_CHUNK):
            conn.execute(insert(table), table_rows[start : start + INSERT_CHUNK])
    if conn.dialect.name == "postgresql":
        for name in SERIAL_TABLES:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE(MAX(id), 1), "
                    f"MAX(id) IS NOT NULL) FROM {name}"
                )
            )
