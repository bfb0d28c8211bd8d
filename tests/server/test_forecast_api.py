"""The campaign forecast on the wired server over a demo store dated today: the demo's past campaigns carry a
planted lift in their days' orders; a marketer's proposal gets orders and revenue without and with it, day by
day; operators are refused; impossible terms get a clear 422; the marketer's chat answers "预测一下满300减50的效果"
and "forecast a spend 300 save 50 campaign" with the same figures."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from server.app import create_app
from server.db.models import Campaign, Order
from server.runtime import build_runtime
from server.settings import Settings
from tests.fakes import KeywordRetriever
from tests.server.console_support import login, register_accounts
from tests.services import TEST_IDENTITY_SECRET

pytestmark = pytest.mark.integration

FORECAST = "/api/operator/marketing/forecast"
ASK = "/api/operator/marketing/ask"
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def forecast_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    from server.demo.build import build_demo_store

    url = f"sqlite:///{tmp_path_factory.mktemp('forecast') / 'kefu.db'}"
    build_demo_store(url, seed=7, as_of=datetime.now(UTC).date(), customers=60, orders=900)
    return url


@pytest.fixture(scope="module")
def fc_client(forecast_store: str) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    accounts = register_accounts(forecast_store, {"marketer": "Chen Jie", "operator": "Wang Fang"})
    settings = Settings(database_url=forecast_store, identity_secret=TEST_IDENTITY_SECRET)
    runtime = build_runtime(settings, retriever=KeywordRetriever(), warm=False)
    with TestClient(create_app(settings, runtime=runtime)) as c:
        yield c, {role: login(c, name) for role, name in accounts.items()}


def test_past_campaigns_lift_their_days_orders(fc_client) -> None:
    client, _ = fc_client
    sessions = client.app.state.runtime.sessions
    with sessions() as s:
        past = s.execute(select(Campaign.starts_at, Campaign.ends_at).where(Campaign.id.like("past%"))).all()
        placed = [p for (p,) in s.execute(select(Order.placed_at).where(Order.status != "cancelled"))]
    assert len(past) >= 10
    days = {(start.astimezone(TZ) + timedelta(days=k)).date() for start, end in past
            for k in range((end - start).days + 1)}
    per_day = Counter(p.astimezone(TZ).date() for p in placed)
    first, last = min(per_day), max(per_day) - timedelta(days=60)  # the scripted showcase orders are recent
    span = [first + timedelta(days=k) for k in range((last - first).days)]
    on = [per_day[d] for d in span if d in days]
    off = [per_day[d] for d in span if d not in days and not ((d.month, d.day) <= (6, 18) and d.month == 6)
           and not (d.month == 11 and d.day <= 11)]
    assert sum(on) / len(on) > 1.15 * sum(off) / len(off)


def test_marketer_forecasts_a_full_reduction(fc_client) -> None:
    client, staff = fc_client
    r = client.post(FORECAST, json={"type": "full_reduction", "threshold": 300, "discount": 50, "days": 5},
                    headers=staff["marketer"])
    assert r.status_code == 200, r.text
    body = r.json()
    tomorrow = (datetime.now(TZ) + timedelta(days=1)).date().isoformat()
    assert body["daily"][0]["day"] == tomorrow and len(body["daily"]) == 5
    assert body["orders_with"] > body["orders_without"] > 0 and body["revenue_with"] > 0
    assert body["orders_with"] == pytest.approx(sum(d["orders_with"] for d in body["daily"]), abs=0.2)
    assert body["campaigns_learnt"] >= 10 and body["history_days"] >= 300 and body["refutations"] == []
    assert (body["type"], body["threshold"], body["discount"], body["scope_share"]) == ("full_reduction", 300, 50, 1)

    scoped = client.post(FORECAST, json={"type": "percent_off", "discount": 10, "days": 5,
                                         "categories": ["coffee_beans", "coffee_machine"]}, headers=staff["marketer"])
    assert scoped.status_code == 200, scoped.text
    assert 0 < scoped.json()["scope_share"] < 0.5

    refused = client.post(FORECAST, json={"type": "full_reduction", "threshold": 300, "discount": 50},
                          headers=staff["operator"])
    assert refused.status_code == 403
    bad = client.post(FORECAST, json={"type": "full_reduction", "threshold": 50, "discount": 300},
                      headers=staff["marketer"])
    assert bad.status_code == 422 and "threshold" in bad.text
    past = client.post(FORECAST, json={"type": "percent_off", "discount": 10, "start": "2020-01-01"},
                       headers=staff["marketer"])
    assert past.status_code == 422 and past.json()["error"]["code"] == "forecast_unavailable"


@pytest.mark.parametrize(("text", "language", "words"), [
    ("预测一下满300减50的效果", "zh", "满300减50"),
    ("forecast a spend 300 save 50 campaign", "en", "spend ¥300, save ¥50"),
])
def test_marketer_chat_answers_with_the_forecast(fc_client, text: str, language: str, words: str) -> None:
    client, staff = fc_client
    got = client.post(ASK, json={"text": text}, headers=staff["marketer"])
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["act"], body["language"]) == ("forecast", language)
    fc = body["cards"][0]["forecast"]
    same = client.post(FORECAST, json={"type": "full_reduction", "threshold": 300, "discount": 50, "days": 7},
                       headers=staff["marketer"]).json()
    assert (fc["orders_with"], fc["revenue_with"]) == (same["orders_with"], same["revenue_with"])
    assert words in body["answer"] and f"{fc['orders_with']:.0f}" in body["answer"]
    assert f"{fc['orders_without']:.0f}" in body["answer"] and f"{fc['revenue_with']:,.0f}" in body["answer"]


def test_chat_asks_for_the_terms_when_none_are_given(fc_client) -> None:
    client, staff = fc_client
    body = client.post(ASK, json={"text": "预测一下效果"}, headers=staff["marketer"]).json()
    assert body["act"] == "forecast" and body["cards"] == [] and "满300减50" in body["answer"]


def test_cli_forecasts_from_the_store(fc_client, forecast_store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from server.cli import app
    from server.settings import get_settings

    client, staff = fc_client
    monkeypatch.setenv("KEFU_DATABASE_URL", forecast_store)
    get_settings.cache_clear()
    try:
        args = ["forecast", "campaign", "--type", "full_reduction", "--threshold", "300", "--discount", "50",
                "--days", "3"]
        table = CliRunner().invoke(app, args)
        got = CliRunner().invoke(app, [*args, "--format", "json"])
        bad = CliRunner().invoke(app, ["forecast", "campaign", "--type", "percent_off", "--discount", "150"])
    finally:
        get_settings.cache_clear()
    assert table.exit_code == 0, table.output
    assert table.output.splitlines()[0].split()[:3] == ["day", "orders", "w/o"] and "lift: orders +" in table.output
    body = json.loads(got.output)
    same = client.post(FORECAST, json={"type": "full_reduction", "threshold": 300, "discount": 50, "days": 3},
                       headers=staff["marketer"]).json()
    assert (body["orders_with"], body["revenue_without"]) == (same["orders_with"], same["revenue_without"])
    assert bad.exit_code == 2 and "percent off must be below 100" in bad.output
