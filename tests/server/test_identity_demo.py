"""The identity graph on the demo store: every planted group (shared devices, the coupon farm, a chain, a shared
phone, address and card) is found and nothing else is linked — neighbours, phones one digit apart, placeholder
device ids and the store's pickup point link nobody; the walk from one account gives the same group as the
whole graph; `kefu identity groups` lists the groups masked; the operator API shows them to the right roles; and a
new account on the coupon farm's phone asking for the welcome coupon in a chat is refused."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from server.app import create_app
from server.cli import app as cli
from server.db.engine import make_engine, make_session_factory
from server.db.identities import SqlIdentityStore
from server.db.models import AccountIdentifier, Coupon, Customer
from server.demo.generate import generate, reference_now
from server.demo.identities import IdentityPlan, plan
from server.runtime import build_runtime
from server.settings import Settings
from tests.conftest import DEMO_AS_OF
from tests.fakes import KeywordRetriever
from tests.server.console_support import login, register_accounts
from tests.services import TEST_IDENTITY_SECRET, signed
from tools.marketing.insight.identity_graph import IdentityGraph

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def planted() -> IdentityPlan:
    """What the demo generator planted in the shared demo store (120 customers, 1,200 orders), replayed."""
    rows = generate(seed=7, as_of=DEMO_AS_OF, customers=120, orders=1200)
    return plan(7, rows, reference_now(DEMO_AS_OF))


@pytest.fixture(scope="module")
def graph(demo_store_url: str) -> IdentityGraph:
    engine = make_engine(demo_store_url)
    try:
        return SqlIdentityStore(make_session_factory(engine)).graph()
    finally:
        engine.dispose()


def test_every_planted_group_is_found_and_nothing_else_is_linked(planted: IdentityPlan, graph: IdentityGraph) -> None:
    assert {g.accounts for g in graph.groups} == {p.accounts for p in planted.planted}
    kinds = {p.name: p.kind for p in planted.planted}
    assert {"coupon_farm", "shared_device_1", "shared_device_2", "shared_device_3", "chain"} <= set(kinds)
    for p in planted.planted:
        group = graph.group_of(p.accounts[0])
        assert group is not None and group.accounts == p.accounts, p.name
        if p.kind in ("device", "farm"):
            assert "device" in group.kinds and any(len(e.accounts) == len(p.accounts) for e in group.evidence)
    for what, accounts in planted.near_misses:  # none of these links its accounts to each other
        groups = {graph.group_of(a).group_id if graph.group_of(a) else a for a in accounts}
        assert len(groups) == len(accounts), what
    assert [(h.kind, len(h.accounts)) for h in graph.hubs] == [("address", 12)]  # the pickup point
    assert graph.accounts == 120


def test_the_walk_from_one_account_gives_its_group(demo_store_url: str, graph: IdentityGraph,
                                                  planted: IdentityPlan) -> None:
    engine = make_engine(demo_store_url)
    try:
        store = SqlIdentityStore(make_session_factory(engine))
        near = [a for _, accounts in planted.near_misses for a in accounts][:12]
        for account in [g.accounts[-1] for g in graph.groups] + near:
            assert store.neighbourhood(account).group_of(account) == graph.group_of(account), account
    finally:
        engine.dispose()


def test_kefu_identity_groups_lists_the_groups_masked(demo_store_url: str, graph: IdentityGraph) -> None:
    out = CliRunner().invoke(cli, ["identity", "groups", "--database-url", demo_store_url])
    assert out.exit_code == 0, out.output
    assert out.output.startswith(f"{len(graph.groups)} linked groups, ")
    for g in graph.groups:
        assert g.group_id in out.output
    assert "ignored as too common" in out.output and "12 accounts" in out.output
    engine = make_engine(demo_store_url)
    try:
        with make_session_factory(engine)() as s:
            values = list(s.scalars(select(AccountIdentifier.value).where(AccountIdentifier.kind.in_(
                ("phone", "address", "payment")))))
    finally:
        engine.dispose()
    assert not [v for v in values if v in out.output]  # no phone, address or card appears whole
    farm = next(g for g in graph.groups if len(g.accounts) == 6)
    one = CliRunner().invoke(cli, ["identity", "groups", "--database-url", demo_store_url,
                                   "--customer", farm.accounts[0], "--json"])
    assert one.exit_code == 0 and f'"group_id": "{farm.group_id}"' in one.output


# --- the console's API and a chat, on a copy of the store ------------------------------------------------------


@pytest.fixture(scope="module")
def store_copy(demo_store_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    target = tmp_path_factory.mktemp("identity") / "kefu.db"
    shutil.copy(Path(demo_store_url.removeprefix("sqlite:///")), target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="module")
def staff(store_copy: str) -> dict[str, str]:
    return register_accounts(store_copy, {"operator": "Wang Fang", "supervisor": "Zhao Min", "marketer": "Chen Jie"})


@pytest.fixture(scope="module")
def client(store_copy: str, staff: dict[str, str]) -> Iterator[TestClient]:
    settings = Settings(database_url=store_copy, identity_secret=TEST_IDENTITY_SECRET)
    runtime = build_runtime(settings, retriever=KeywordRetriever(), warm=False)
    with TestClient(create_app(settings, runtime=runtime)) as c:
        yield c
    runtime.close()


def test_operators_see_a_customers_linked_accounts_and_supervisors_every_group(
        client: TestClient, staff: dict[str, str], graph: IdentityGraph) -> None:
    operator, supervisor, marketer = (login(client, staff[r]) for r in ("operator", "supervisor", "marketer"))
    farm = next(g for g in graph.groups if len(g.accounts) == 6)
    r = client.get(f"/api/operator/customers/{farm.accounts[0]}/linked", headers=operator)
    assert r.status_code == 200, r.text
    group: dict[str, Any] = r.json()["group"]
    assert [a["customer_id"] for a in group["accounts"]] == list(farm.accounts)
    assert group["new_customer_coupons"] >= 2 and group["kinds"] == ["device", "payment"]
    assert {e["kind"] for e in group["evidence"]} == {"device", "payment"} and group["links"]
    assert all(a["name"] for a in group["accounts"])
    alone = client.get("/api/operator/customers/C00001/linked", headers=operator).json()
    assert alone == {"customer_id": "C00001", "group": None}
    assert client.get("/api/operator/customers/C09999/linked", headers=operator).status_code == 404
    assert client.get(f"/api/operator/customers/{farm.accounts[0]}/linked", headers=marketer).status_code == 403
    every = client.get("/api/operator/identity/groups", headers=supervisor).json()
    assert len(every["groups"]) == len(graph.groups) and every["hubs"][0]["accounts"] == 12
    assert client.get("/api/operator/identity/groups", headers=marketer).status_code == 200
    assert client.get("/api/operator/identity/groups", headers=operator).status_code == 403
    assert client.get("/api/operator/identity/groups").status_code == 401


@pytest.mark.parametrize(("customer", "language", "text", "refused"), [
    ("C09001", "zh", "领取新人券", "「新人专享券」每位新客户只能领取一次。"),
    ("C09002", "en", "Claim the welcome coupon", "“New customer coupon” is one per new customer"),
])
def test_a_new_account_on_the_farms_phone_gets_no_welcome_coupon(
        client: TestClient, store_copy: str, graph: IdentityGraph, customer: str, language: str, text: str,
        refused: str) -> None:
    farm = next(g for g in graph.groups if len(g.accounts) == 6)
    engine = make_engine(store_copy)
    sessions = make_session_factory(engine)
    now = datetime.now(UTC)
    try:
        with sessions.begin() as s:  # a brand-new account, no order yet
            s.add(Customer(id=customer, name="New", language=language, email="n***1@example.com",
                           phone="139****0000", address="—", tier="regular", created_at=now))
            device = s.scalar(select(AccountIdentifier.value).where(
                AccountIdentifier.customer_id == farm.accounts[0], AccountIdentifier.kind == "device",
                AccountIdentifier.value.in_(select(AccountIdentifier.value).where(
                    AccountIdentifier.customer_id == farm.accounts[1]))))
        SqlIdentityStore(sessions).record(customer, "device", device, "sign_in", now)  # signs in on the farm's phone
        r = client.post("/api/conversations", json={"channel": "web", **signed(customer), "language": language})
        headers = {"Authorization": f"Bearer {r.json()['token']}"}
        reply = client.post(f"/api/conversations/{r.json()['conversation_id']}/messages", json={"text": text},
                            headers=headers).json()["reply"]
        assert reply["text"].startswith(refused), reply["text"]
        assert not any(a in reply["text"] for a in farm.accounts) and not reply["cards"]
        with sessions() as s:
            assert not s.scalars(select(Coupon).where(Coupon.customer_id == customer)).all()
    finally:
        engine.dispose()


API_KEY = "identity-test-api-key-0123456789"


def test_the_store_backend_records_a_sign_in_device_and_it_links(store_copy: str, graph: IdentityGraph) -> None:
    """`POST /api/identifiers` with the store backend's key: the device a customer signed in from joins their group
    (and only with the key: a browser's or a wrong key's call is refused and records nothing)."""
    settings = Settings(database_url=store_copy, identity_secret=TEST_IDENTITY_SECRET, identity_api_keys=API_KEY)
    runtime = build_runtime(settings, retriever=KeywordRetriever(), warm=False)
    pair = next(g for g in graph.groups if len(g.accounts) == 2)
    newcomer = "C00002"  # a showcase customer: linked to nobody in the demo data
    engine = make_engine(store_copy)
    try:
        with make_session_factory(engine)() as s:
            device = s.scalars(select(AccountIdentifier.value).where(
                AccountIdentifier.customer_id == pair.accounts[0], AccountIdentifier.kind == "device")).first()
        body = {"customer_id": newcomer, "kind": "device", "value": device, "source": "sign_in"}
        with TestClient(create_app(settings, runtime=runtime)) as c:
            assert c.post("/api/identifiers", json=body).status_code == 401
            assert c.post("/api/identifiers", json=body, headers={"Authorization": "Bearer nope"}).status_code == 401
            assert SqlIdentityStore(make_session_factory(engine)).linked_to(newcomer) == ()
            key = {"Authorization": f"Bearer {API_KEY}"}
            r = c.post("/api/identifiers", json=body, headers=key)
            assert r.status_code == 201 and r.json() == {"customer_id": newcomer, "kind": "device", "recorded": True}
            assert c.post("/api/identifiers", json=body, headers=key).status_code == 201  # seen again: idempotent
            unknown = c.post("/api/identifiers", json={**body, "customer_id": "C99999"}, headers=key)
            assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_customer"
            bad = c.post("/api/identifiers", json={**body, "kind": "email"}, headers=key)
            assert bad.status_code == 422
        linked = SqlIdentityStore(make_session_factory(engine)).linked_to(newcomer)
        assert set(linked) >= set(pair.accounts)
    finally:
        engine.dispose()
        runtime.close()
