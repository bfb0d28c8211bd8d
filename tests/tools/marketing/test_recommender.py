"""The recommender's algorithms on small plain data: signals, the catalogue's fit, business rules, files."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from tools.marketing.recommender import (
    BusinessRules,
    ItemInfo,
    Recommender,
    TrainConfig,
    Visit,
    Weights,
    fit_recommender,
    leave_last_visit_out,
    visits_from_rows,
)
from tools.marketing.recommender.data import Encoded
from tools.marketing.recommender.metrics import hit_at_k, ndcg_at_k
from tools.marketing.recommender.signals import CoOccurrence, ImplicitALS, Repeat, TrendPopularity

pytestmark = pytest.mark.unit

START = date(2026, 1, 1)
CATALOGUE = [
    ItemInfo("IP16", "phone", 5, "Apple 苹果", {"model": "iPhone 16"}),
    ItemInfo("GS24", "phone", 5, "Samsung 三星", {"model": "Galaxy S24"}),
    ItemInfo("CASE-IP16-A", "phone_case", 9, "ESR", {"compatible_with": ["iPhone 16"]}),
    ItemInfo("CASE-IP16-B", "phone_case", 9, "Spigen", {"compatible_with": ["iPhone 16"]}),
    ItemInfo("CASE-GS24", "phone_case", 9, "Spigen", {"compatible_with": ["Galaxy S24"]}),
    ItemInfo("CHG-APPLE", "charger", 9, "Apple 苹果", {"compatible_with": ["apple"]}),
    ItemInfo("CHG-ANY", "charger", 9, "Anker", {"compatible_with": ["universal"]}),
    ItemInfo("BEANS", "coffee_beans", 50, "Lavazza", {}),
    *[ItemInfo(f"EAR{i}", "earphones", 9, "Sony 索尼", {}) for i in range(5)],
]


def store_visits() -> list[Visit]:
    """60 customers: half buy an iPhone 16 (+ a fitting case), half a Galaxy S24 (+ its case); everyone
    buys coffee beans again and again, and earphones now and then."""
    rows = []
    for c in range(60):
        user, phone = f"u{c}", ("IP16" if c % 2 else "GS24")
        case = ("CASE-IP16-A" if c % 4 == 1 else "CASE-IP16-B") if phone == "IP16" else "CASE-GS24"
        day = START + timedelta(days=c)
        rows += [(user, day, phone), (user, day, case)]
        for v in range(1, 4):
            rows.append((user, day + timedelta(days=10 * v), "BEANS"))
            if (c + v) % 3 == 0:
                rows.append((user, day + timedelta(days=10 * v), f"EAR{(c + v) % 5}"))
    return visits_from_rows(rows)


@pytest.fixture(scope="module")
def model() -> Recommender:
    return fit_recommender(store_visits(), CATALOGUE, config=TrainConfig(factors=4, iterations=5, tune=False),
                           weights=Weights(repeat=1.0, cooccurrence=0.3, model=0.1, compatible=0.3))


def test_visits_group_rows_and_the_split_holds_out_each_last_visit() -> None:
    visits = visits_from_rows([("a", 2, "x"), ("a", 1, "y"), ("a", 2, "z"), ("b", 1, "x")])
    assert [(v.user, v.at, v.items) for v in visits] == [("a", 1, ("y",)), ("a", 2, ("x", "z")), ("b", 1, ("x",))]
    split = leave_last_visit_out(visits)
    assert split.held_out == {"a": frozenset({"x", "z"})}
    assert [v.items for v in split.train] == [("y",), ("x",)]


def test_metrics() -> None:
    assert hit_at_k(["a", "b"], {"b"}) == 1.0 and hit_at_k(["a", "b"], {"c"}) == 0.0
    assert ndcg_at_k(["b", "a"], {"b"}) == pytest.approx(1.0)
    assert ndcg_at_k(["a", "b"], {"b"}) == pytest.approx(1 / np.log2(3))


def test_co_occurrence_scores_what_is_bought_with_the_customers_items() -> None:
    enc = Encoded.build(store_visits())
    co = CoOccurrence(enc.n_items).fit(list(enc.histories.values()))
    scores = co.score([enc.encode(["IP16"])])
    ranked = [enc.items[i] for i in np.argsort(-scores)]
    assert set(ranked[:2]) == {"CASE-IP16-A", "CASE-IP16-B"}
    assert scores[enc.index["CASE-GS24"]] == 0


def test_repeat_propensity_separates_consumables_from_durables() -> None:
    enc = Encoded.build(store_visits())
    rep = Repeat(enc.n_items).fit(list(enc.histories.values()))
    assert rep.propensity[enc.index["BEANS"]] > 0.5 > 0.05 > rep.propensity[enc.index["IP16"]]


def test_als_fold_in_prefers_the_customers_side_of_the_store() -> None:
    enc = Encoded.build(store_visits())
    users = sorted(enc.histories)
    als = ImplicitALS(enc.n_items, factors=4, iterations=10).fit(enc.user_items(users))
    scores = als.score([enc.encode(["GS24"])])
    assert scores[enc.index["CASE-GS24"]] > scores[enc.index["CASE-IP16-A"]]


def test_trend_popularity_follows_what_sells_now() -> None:
    trend = TrendPopularity(2, tau_days=10).fit(
        [(d, np.array([0])) for d in range(0, 50)] + [(d, np.array([1])) for d in range(50, 60)] * 3
    )
    assert trend.at(40)[0] > trend.at(40)[1]
    assert trend.latest[1] > trend.latest[0]
    assert not trend.at(-5).any()


def test_a_phone_case_for_an_iphone_16_owner_fits_the_iphone_16(model: Recommender) -> None:
    recs = model.recommend([["IP16"]], category="phone_case")
    assert [c.item for c in recs] and {c.item for c in recs} <= {"CASE-IP16-A", "CASE-IP16-B"}
    assert {c.source for c in recs} == {"compatible"}
    galaxy = model.recommend([["GS24"]], category="phone_case")
    assert [c.item for c in galaxy] == ["CASE-GS24"]


def test_chargers_fit_by_brand_or_universally(model: Recommender) -> None:
    recs = [c.item for c in model.recommend([["GS24"]], category="charger")]
    assert recs == ["CHG-ANY"]  # an Apple-only charger is no use to a Galaxy owner
    assert set(c.item for c in model.recommend([["IP16"]], category="charger")) == {"CHG-APPLE", "CHG-ANY"}


def test_business_rules(model: Recommender) -> None:
    history = [["IP16", "CASE-IP16-A"], ["BEANS"]]
    items = [c.item for c in model.recommend(history, k=10)]
    assert "IP16" not in items and "CASE-IP16-A" not in items  # not what they just bought and keep
    assert "BEANS" in items  # consumables come back
    assert "CASE-GS24" not in items  # never an accessory for a phone they do not own
    assert "IP16" not in [c.item for c in model.recommend([["BEANS"]], stock={"IP16": 0}, k=12)]
    diverse = model.recommend([["EAR0"]], k=6, rules=BusinessRules(max_per_category=2))
    categories = [model.infos[model.items.index(c.item)].category for c in diverse]
    assert max(categories.count(c) for c in set(categories)) <= 2
    assert all(c.score >= 0 and c.source for c in diverse)


def test_a_new_customer_gets_popular_and_safe_items(model: Recommender) -> None:
    recs = model.recommend([], k=5)
    assert recs and {c.source for c in recs} == {"popular"}
    assert not {c.item for c in recs} & {"CASE-IP16-A", "CASE-IP16-B", "CASE-GS24", "CHG-APPLE"}  # device-specific
    assert recs[0].item == "BEANS"
    assert [c.score for c in recs] == sorted((c.score for c in recs), reverse=True)


def test_in_session_interest_changes_the_list_without_retraining(model: Recommender) -> None:
    before = [c.item for c in model.recommend([["BEANS"]], k=4)]
    after = [c.item for c in model.recommend([["BEANS"]], session=["IP16"], k=4)]
    assert before != after and "CASE-IP16-A" in after


def test_the_model_file_round_trips(model: Recommender, tmp_path: Path) -> None:
    path = model.save(tmp_path / "rec" / "recommender.npz")
    assert path.exists() and path.with_suffix(".json").exists()
    loaded = Recommender.load(path)
    for history in ([["IP16"]], [["BEANS"], ["EAR1"]], []):
        assert loaded.recommend(history) == model.recommend(history)


def test_tuning_weighs_repeat_purchases_when_customers_buy_their_own_staples_again() -> None:
    rows = []
    for c in range(60):  # each customer's own staple every visit, and two of forty others
        for v in range(4):
            day = START + timedelta(days=7 * v + c % 5)
            rows += [(f"u{c}", day, f"STAPLE{c % 30}"), (f"u{c}", day, f"HIT{(c + 3 * v) % 40}"),
                     (f"u{c}", day, f"HIT{(c + 5 * v + 1) % 40}")]
    tuned = fit_recommender(visits_from_rows(rows), config=TrainConfig(factors=4, iterations=3))
    assert tuned.weights.repeat > 0
    assert tuned.recommend([["STAPLE7"], ["STAPLE7"]], k=3)[0] == tuned.recommend([["STAPLE7"]], k=3)[0]
    assert tuned.recommend([["STAPLE7"]], k=1)[0].item == "STAPLE7"
    assert tuned.recommend([["STAPLE7"]], k=1)[0].source == "repeat"
