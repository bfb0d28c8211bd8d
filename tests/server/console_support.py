"""What the console tests share: cheaply hashed accounts, a small demo store, signing in over HTTP, starting a
chat and talking in it, reading socket frames, and walking the app's routes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from server.db.engine import make_engine, make_session_factory
from server.db.operators import OperatorRepository
from server.demo.build import build_demo_store
from server.operators.accounts import OperatorAuth
from server.operators.passwords import Passwords
from tests.conftest import DEMO_AS_OF
from tests.services import signed

PASSWORD = "correct horse battery"
# Verification cost follows the stored hash, so accounts hashed like this sign in fast.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def cheap_auth(operators: OperatorRepository) -> OperatorAuth:
    return OperatorAuth(operators, passwords=Passwords(CHEAP_HASHER))


def small_store(tmp_path_factory: pytest.TempPathFactory, name: str, *, customers: int, orders: int) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'kefu.db'}"
    build_demo_store(url, seed=7, as_of=DEMO_AS_OF, customers=customers, orders=orders)
    return url


def register_accounts(url: str, names: dict[str, str], password: str = PASSWORD) -> dict[str, str]:
    """`{key: display name}` → `{key: username}`, one fresh account each; a key is its role, or a role and a
    digit for a second account of that role (`operator2`)."""
    engine = make_engine(url)
    try:
        auth = cheap_auth(OperatorRepository(make_session_factory(engine)))
        usernames = {}
        for key, display_name in names.items():
            usernames[key] = f"{key}-{uuid.uuid4().hex[:6]}"
            auth.register(username=usernames[key], display_name=display_name, role=key.rstrip("0123456789"),
                          password=password)
        return usernames
    finally:
        engine.dispose()


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Bearer headers for `username`; the cookie jar is emptied so each request says who it is."""
    r = client.post("/api/operator/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def start_chat(client: TestClient, customer: str | None = "C00001", language: str = "en") -> tuple[str, str]:
    who = signed(customer) if customer else {}
    r = client.post("/api/conversations", json={"channel": "web", **who, "language": language})
    assert r.status_code == 201, r.text
    return r.json()["conversation_id"], r.json()["token"]


def say(client: TestClient, cid: str, token: str, text: str) -> dict[str, Any]:
    r = client.post(
        f"/api/conversations/{cid}/messages", json={"text": text}, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200, r.text
    return r.json()


def receive_until(ws: WebSocketTestSession, accept: Callable[[dict[str, Any]], bool], limit: int = 50) -> list[dict]:
    """Frames up to and including the first one `accept` likes (only call when such a frame must come)."""
    frames = []
    for _ in range(limit):
        frames.append(ws.receive_json())
        if accept(frames[-1]):
            return frames
    raise AssertionError(f"no matching frame among {frames}")


def routes(app: Any) -> Iterator[tuple[Any, str, set[str]]]:
    """(route, path, methods) of every route, routers included (FastAPI ≥ 0.13x mounts them lazily)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: included routes are plain entries of app.routes
        for route in app.routes:
            yield route, getattr(route, "path", ""), getattr(route, "methods", None) or set()
        return
    for ctx in iter_route_contexts(app.routes):
        yield ctx.original_route, ctx.path or "", ctx.methods or set()


def op_url(cid: str, action: str = "") -> str:
    return f"/api/operator/conversations/{cid}{'/' + action if action else ''}"
