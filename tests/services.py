"""Real services for the production-shape tests: Redis at KEFU_TEST_REDIS_URL, fresh PostgreSQL databases,
and waiting for (and stopping) a server a test started.

Redis and PostgreSQL skip when unreachable, unless CI requires them (KEFU_REQUIRE_REDIS=1, KEFU_REQUIRE_PG=1),
where they fail instead.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _unavailable(message: str, require_env: str) -> None:
    if os.environ.get(require_env) == "1":
        pytest.fail(message)
    pytest.skip(message)


def redis_url() -> str:
    """The test Redis URL, after checking that it answers PING."""
    import redis

    url = os.environ.get("KEFU_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        client.close()
    except (redis.RedisError, OSError) as exc:
        _unavailable(f"Redis not reachable at {url}: {exc}", "KEFU_REQUIRE_REDIS")
    return url


@contextlib.contextmanager
def fresh_pg_database(template: str | None = None) -> Iterator[str]:
    """A new, empty database on the test server (SQLAlchemy URL), dropped afterwards; with `template`, a copy of that
    database instead (CREATE DATABASE … TEMPLATE: nobody may be connected to it meanwhile)."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = os.environ.get("KEFU_TEST_PG_URL", DEFAULT_PG_URL)
    scheme, sep, rest = admin.partition("://")
    try:
        conn = psycopg.connect(f"{scheme.split('+')[0]}{sep}{rest}", autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        _unavailable(f"PostgreSQL not reachable at {admin}: {exc}", "KEFU_REQUIRE_PG")
    name = f"kefu_test_{uuid.uuid4().hex[:12]}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        try:
            url = make_url(admin).set(drivername="postgresql+psycopg", database=name)
            yield url.render_as_string(hide_password=False)
        finally:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_for_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float, name: str = "server") -> None:
    """Return once `url` answers; raise RuntimeError with the tail of `log` if `proc` (the server `name`) exits
    first, or after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited {proc.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(url, timeout=2).read()
            return
        time.sleep(0.5)
    raise RuntimeError(f"{name} did not answer within {timeout_s} s")


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 15) -> None:
    """Terminate `proc` if it still runs; kill it if it has not exited after `timeout_s`."""
    if proc.poll() is None:
        proc.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=timeout_s)
        return
    proc.kill()
    proc.wait()


# The store secret of test servers (KEFU_IDENTITY_SECRET), so a test can sign for a customer as a store's page does.
TEST_IDENTITY_SECRET = "kefu-test-identity-secret"


def customer_sig(customer_id: str, secret: str = TEST_IDENTITY_SECRET) -> str:
    """HMAC-SHA256(secret, customer_id), hex: what the store's page embeds beside the id."""
    import hashlib
    import hmac

    return hmac.new(secret.encode("utf-8"), customer_id.encode("utf-8"), hashlib.sha256).hexdigest()


def signed(customer_id: str) -> dict[str, str]:
    """The `customer_id` and `customer_sig` fields of a conversation start, signed with the test secret."""
    return {"customer_id": customer_id, "customer_sig": customer_sig(customer_id)}
