"""The console's marketing figures — mined rules with their cross-sell acceptance, click-through by source — from
rule files and a seeded event log, on SQLite and PostgreSQL; over HTTP only for marketers and supervisors, and
bad parameters get a clear 422."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import server.operators.marketing as marketing
from server.app import create_app
from server.db.engine import make_engine, make_session_factory
from server.db.migrate import upgrade
from server.operators.marketing import recommendations_report, rules_report
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever
from tests.server.console_support import login, register_accounts
from tests.server.db.seed import seed_store
from tests.server.marketing_support import (
    CATEGORY_RULES,
    PRODUCT_RULES,
    Seeded,
    pick_products,
    seed_events,
    write_rules,
)

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
MINED_AT = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


@pytest.fixture
def seeded(db_url: str, tmp_path: Path) -> Iterator[tuple[str, Path, Seeded]]:
    upgrade(db_url)
    engine = make_engine(db_url)
    seed_store(make_session_factory(engine))
    engine.dispose()
    picked = pick_products(db_url)
    write_rules(tmp_path / "rules", picked, MINED_AT)
    seed_events(db_url, picked, NOW)
    yield db_url, tmp_path / "rules", picked


def _report(url: str, fn, **kwargs):
    engine = make_engine(url)
    try:
        return fn(make_session_factory(engine), now=NOW, **kwargs)
    finally:
        engine.dispose()


def test_rules_with_figures_and_acceptance(seeded) -> None:
    url, rules_dir, s = seeded
    p = s.p
    report = _report(url, lambda sessions, **kw: rules_report(sessions, rules_dir, **kw), days=30)
    assert [(r.name, r.by, r.engine, r.n_rules, r.mined_at) for r in report.rule_sets] == [
        (CATEGORY_RULES, "category", "spark", 1, MINED_AT), (PRODUCT_RULES, "product", "local", 3, MINED_AT)]
    assert [(x.name, "not a Kefu rule file" in x.message) for x in report.problems] == [("broken", True)]
    assert report.total == 4 and report.sort == "lift"
    assert [(r.rule_set, r.antecedent[0].id, r.consequent[0].id, r.lift) for r in report.rules] == [
        (PRODUCT_RULES, p[1], p[3], 5.0),
        (PRODUCT_RULES, p[0], p[2], 4.0),
        (CATEGORY_RULES, s.category[p[0]], s.category[p[2]], 2.5),
        (PRODUCT_RULES, p[5], p[6], 1.2),
    ]
    one, case, by_category, unoffered = report.rules
    a = case.acceptance  # two offers in the window: clicked and added; declined
    assert (a.offers, a.accepted, a.clicked, a.added_to_cart, a.purchased, a.declined) == (2, 1, 1, 1, 0, 1)
    assert a.rate.value == 0.5 and a.rate.low == 0.0945 and a.rate.high == 0.9055
    assert (one.acceptance.offers, one.acceptance.purchased, one.acceptance.rate.value) == (1, 1, 1.0)
    assert (by_category.acceptance.offers, by_category.acceptance.added_to_cart) == (1, 1)
    assert unoffered.acceptance.offers == 0 and unoffered.acceptance.rate.value is None
    # names from the catalogue; categories for the filter
    assert case.antecedent[0].kind == "product" and case.antecedent[0].name_zh == s.names_zh[p[0]]
    assert by_category.antecedent[0].kind == "category" and by_category.antecedent[0].category == s.category[p[0]]
    assert {c.key for c in report.categories} == {s.category[x] for x in (p[0], p[1], p[2], p[3], p[5], p[6])}
    # offers no file's rule explains: one rule since mined away, one the catalogue's fit chose
    other = {(o.rule_set, tuple(i.id for i in o.antecedent)): o.acceptance for o in report.other_offers}
    stale = next(o for o in report.other_offers if o.rule_set)
    assert stale.antecedent[0].kind == "item" and stale.consequent[0].name_zh == s.names_zh[p[3]]
    assert set(other) == {(PRODUCT_RULES, ("P9999",)), (None, ())}
    assert other[(None, ())].unanswered == 1 and other[(PRODUCT_RULES, ("P9999",))].clicked == 1
    # a click alone is not a yes
    assert (report.offers.offers, report.offers.accepted, report.offers.rate.value) == (6, 3, 0.5)
    assert report.events_truncated is False

    # 90 days take in the offer of 40 days ago (purchased)
    wide = _report(url, lambda sessions, **kw: rules_report(sessions, rules_dir, **kw), days=90, item=p[0],
                   by="product")
    assert [(r.antecedent[0].id, r.acceptance.offers, r.acceptance.accepted) for r in wide.rules] == [(p[0], 3, 2)]


def test_rule_filters_and_sorts(seeded) -> None:
    url, rules_dir, s = seeded
    p = s.p

    def rows(**kw) -> list[tuple[str, str]]:
        report = _report(url, lambda sessions, **k: rules_report(sessions, rules_dir, **k), days=30, **kw)
        return [(r.antecedent[0].id, r.consequent[0].id) for r in report.rules]

    cat0, cat2 = s.category[p[0]], s.category[p[2]]
    assert rows(sort="acceptance") == [(p[1], p[3]), (cat0, cat2), (p[0], p[2]), (p[5], p[6])]
    assert rows(sort="offers")[0] == (p[0], p[2])
    assert rows(sort="confidence")[0] == (p[1], p[3])
    assert rows(sort="support", limit=1) == [(cat0, cat2)]
    assert rows(rule_set=CATEGORY_RULES) == [(cat0, cat2)]
    assert rows(by="category") == [(cat0, cat2)]
    assert rows(category=cat2) == [(p[0], p[2]), (cat0, cat2)]  # the product rule through its product's category
    assert rows(item=s.names_zh[p[5]][:4]) == [(p[5], p[6])]
    assert rows(item="no such thing") == []
    with pytest.raises(marketing.UnknownRuleSet):
        rows(rule_set="nope")


def test_click_through_by_source_policy_and_tool(seeded) -> None:
    url, _, _ = seeded
    report = _report(url, recommendations_report, days=30)

    def figures(rows) -> dict[str, tuple[int, int, int, int, int]]:
        return {r.key: (r.impressions, r.lists, r.clicks, r.added_to_cart, r.purchased) for r in rows}

    t = report.total
    assert (t.impressions, t.lists, t.clicks, t.added_to_cart, t.purchased) == (7, 3, 3, 1, 1)
    assert t.ctr.value == pytest.approx(3 / 7, abs=1e-4) and t.ctr.low == 0.1582 and t.ctr.high == 0.7495
    assert figures(report.by_source) == {
        "model": (2, 2, 2, 0, 1), "co-occurrence": (1, 1, 0, 1, 0), "popular": (1, 1, 0, 0, 0),
        "compatible": (1, 1, 0, 0, 0), "none": (2, 1, 1, 0, 0),
    }
    assert figures(report.by_bandit) == {"linucb": (3, 1, 1, 1, 0), "none": (4, 2, 2, 0, 1)}
    assert figures(report.by_tool) == {"recommend_products": (5, 2, 2, 1, 1), "search_products": (2, 1, 1, 0, 0)}
    assert report.events_read == 8 and report.events_truncated is False

    wide = _report(url, recommendations_report, days=90)
    assert (wide.total.impressions, wide.total.clicks) == (8, 4)

    engine = make_engine(url)
    try:  # a window before anything was shown
        empty = recommendations_report(make_session_factory(engine), now=datetime(2026, 1, 1, tzinfo=UTC), days=30)
    finally:
        engine.dispose()
    assert empty.total is None and empty.by_source == [] and empty.events_read == 0


def test_a_bounded_read_says_it_was_cut(seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    url, _, _ = seeded
    monkeypatch.setattr(marketing, "MAX_EVENTS", 4)
    report = _report(url, recommendations_report, days=30)
    assert report.events_truncated is True and report.events_read == 4
    # the newest four are C's list, click and purchase and D's view (whose list was left out)
    assert (report.total.impressions, report.total.clicks, report.total.purchased) == (2, 1, 1)


def test_only_marketers_and_supervisors_over_http(tmp_path: Path, sqlite_url: str) -> None:
    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    seed_store(make_session_factory(engine))
    engine.dispose()
    picked = pick_products(sqlite_url)
    seed_events(sqlite_url, picked, NOW)
    rules_dir = tmp_path / "rules"
    settings = Settings(database_url=sqlite_url, rules_dir=rules_dir)
    runtime = build_runtime(settings, retriever=KeywordRetriever(), llm=None, warm=False)
    runtime.console.clock = lambda: NOW
    names = register_accounts(sqlite_url, {role: role for role in ("operator", "supervisor", "marketer")})
    try:
        with TestClient(create_app(settings, runtime=runtime)) as client:
            headers = {role: login(client, username) for role, username in names.items()}
            for path in ("/api/operator/marketing/rules", "/api/operator/marketing/recommendations"):
                assert client.get(path).status_code == 401
                r = client.get(path, headers=headers["operator"])
                assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_role"

            # before `kefu rules mine`: no rule sets, yet the offers made are there
            r = client.get("/api/operator/marketing/rules", headers=headers["marketer"])
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["rule_sets"] == [] and body["rules"] == [] and body["total"] == 0
            assert body["offers"]["offers"] == 7 and len(body["other_offers"]) == 5  # 90 days by default

            write_rules(rules_dir, picked, MINED_AT)
            r = client.get(f"/api/operator/marketing/rules?sort=acceptance&limit=2&days=30&rule_set={PRODUCT_RULES}",
                           headers=headers["supervisor"])
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["total"] == 3 and len(body["rules"]) == 2 and body["sort"] == "acceptance"
            first = body["rules"][0]
            assert first["antecedent"][0]["id"] == picked.p[1] and first["acceptance"]["rate"]["value"] == 1.0
            assert first["mined_at"].startswith("2026-11-28T02:00")

            r = client.get("/api/operator/marketing/recommendations?days=30", headers=headers["marketer"])
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["total"]["impressions"] == 7 and body["window"]["days"] == 30
            assert {row["key"]: row["clicks"] for row in body["by_bandit"]} == {"linucb": 1, "none": 2}

            for query, where in (("sort=popularity", "query.sort"), ("limit=0", "query.limit"),
                                 ("limit=501", "query.limit"), ("days=0", "query.days"), ("days=x", "query.days"),
                                 ("by=brand", "query.by"), ("rule_set=../etc", "query.rule_set"),
                                 ("category=a%20b", "query.category"), (f"item={'x' * 65}", "query.item")):
                r = client.get(f"/api/operator/marketing/rules?{query}", headers=headers["marketer"])
                assert r.status_code == 422, (query, r.text)
                assert r.json()["error"]["code"] == "invalid_request" and r.json()["error"]["message"].startswith(where)
            r = client.get("/api/operator/marketing/recommendations?days=367", headers=headers["marketer"])
            assert r.status_code == 422 and r.json()["error"]["message"].startswith("query.days")
            r = client.get("/api/operator/marketing/rules?rule_set=nope", headers=headers["marketer"])
            assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_rule_set"
            assert "kefu rules mine" in r.json()["error"]["message"]
    finally:
        runtime.close()
