"""Rule mining on hand-checkable baskets: parsing, thresholds, rule figures, the rule file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.marketing.rules import (
    RulesError,
    RuleSet,
    load_rules,
    min_count_for,
    mine_local,
    read_baskets,
    read_weighted_baskets,
    rules_path,
    save_rules,
)

pytestmark = pytest.mark.unit

# 5 baskets: case in 4, protector in 3, both in 3, charger in 2 (once with case).
BASKETS = [
    ["phone case", "screen protector"],
    ["phone case", "screen protector", "charger"],
    ["phone case", "screen protector"],
    ["phone case"],
    ["charger"],
]


def test_reader_strips_dedupes_and_skips_blank_lines(tmp_path: Path) -> None:
    f = tmp_path / "b.csv"
    f.write_bytes("\ufeffmilk, bread ,milk\r\n\r\n , ,\nbread\rcream cheese \n".encode())
    assert read_baskets(f) == [["milk", "bread"], ["bread"], ["cream cheese"]]


def test_weighted_reading_counts_the_same_baskets(tmp_path: Path) -> None:
    f = tmp_path / "b.csv"
    f.write_text("milk,bread\nbread\n milk , bread\nbread\r\nmilk,bread,milk\n\n")
    assert read_weighted_baskets(f) == {("milk", "bread"): 3, ("bread",): 2}
    by_list = mine_local(read_baskets(f), min_support=0.1)
    by_weight = mine_local(read_weighted_baskets(f), min_support=0.1)
    assert (by_weight.itemsets, by_weight.rules, by_weight.n_baskets) == (by_list.itemsets, by_list.rules, 5)


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such baskets file"), (b"\n ,\n", "holds no basket"), (b"\xff\xfe\x00", "not UTF-8")],
)
def test_reader_errors_say_what_is_wrong(tmp_path: Path, content: bytes | None, message: str) -> None:
    f = tmp_path / "b.csv"
    if content is not None:
        f.write_bytes(content)
    with pytest.raises(RulesError, match=message):
        read_baskets(f)
    with pytest.raises(RulesError, match=message):
        read_weighted_baskets(f)


def test_min_count_is_the_ceiling_of_support_times_baskets() -> None:
    assert min_count_for(0.005, 9835) == 50  # 49.175 → 50, as Spark and mlxtend count
    assert min_count_for(0.4, 5) == 2
    assert min_count_for(0.0001, 10) == 1


def test_itemsets_and_rules_have_the_textbook_figures() -> None:
    result = mine_local(BASKETS, min_support=0.4, min_confidence=0.5)
    supports = {s.items: s.support for s in result.itemsets}
    assert supports == {
        ("phone case",): 0.8,
        ("screen protector",): 0.6,
        ("charger",): 0.4,
        ("phone case", "screen protector"): 0.6,
    }
    rules = {(r.antecedent, r.consequent): (r.support, r.confidence, r.lift) for r in result.rules}
    # case → protector: 3/4 = 0.75, lift 0.75 / 0.6; protector → case: 3/3 = 1, lift 1 / 0.8
    assert rules == {
        (("phone case",), ("screen protector",)): (0.6, 0.75, pytest.approx(1.25)),
        (("screen protector",), ("phone case",)): (0.6, 1.0, pytest.approx(1.25)),
    }
    assert (result.n_baskets, result.n_items, result.min_count) == (5, 3, 2)


def test_confidence_threshold_and_rule_order() -> None:
    result = mine_local(BASKETS, min_support=0.2, min_confidence=0.8)
    assert all(r.confidence >= 0.8 for r in result.rules)
    assert (("screen protector",), ("phone case",)) in {(r.antecedent, r.consequent) for r in result.rules}
    assert (("phone case",), ("screen protector",)) not in {(r.antecedent, r.consequent) for r in result.rules}
    lifts = [r.lift for r in result.rules]
    assert lifts == sorted(lifts, reverse=True)
    # a three-item set gives rules with two-item antecedents
    assert any(len(r.antecedent) == 2 for r in result.rules)


def test_items_in_every_basket_are_frequent_itemsets_too() -> None:
    # pyfim does not report sets made only of items in every basket (perfect extensions of the empty set)
    result = mine_local([["a", "c", "b"], ["a", "c", "b"], ["c", "a"]], min_support=0.5, min_confidence=0.0)
    assert {s.items: s.count for s in result.itemsets} == {
        ("a",): 3, ("c",): 3, ("a", "c"): 3, ("b",): 2, ("a", "b"): 2, ("b", "c"): 2, ("a", "b", "c"): 2,
    }
    assert {(r.antecedent, r.consequent): r.lift for r in result.rules}[(("a",), ("c",))] == 1.0
    with pytest.raises(RulesError, match="same 17 items"):
        mine_local([[str(i) for i in range(17)]] * 3, min_support=0.5)


def test_repeated_items_and_baskets_count_once_per_basket() -> None:
    result = mine_local([["a", "a", "b"], ["a", "b"], ["b", "a"], ["a"]], min_support=0.5, min_confidence=0.0)
    assert {s.items: s.count for s in result.itemsets} == {("a",): 4, ("b",): 3, ("a", "b"): 3}
    assert {(r.antecedent, r.consequent): r.confidence for r in result.rules} == {
        (("a",), ("b",)): 0.75,
        (("b",), ("a",)): 1.0,
    }


@pytest.mark.parametrize(("support", "confidence"), [(0.0, 0.5), (1.5, 0.5), (float("nan"), 0.5), (0.1, 1.2)])
def test_thresholds_out_of_range_are_refused(support: float, confidence: float) -> None:
    with pytest.raises(RulesError, match="must be a fraction"):
        mine_local(BASKETS, min_support=support, min_confidence=confidence)


def test_rule_file_round_trips_and_names_are_checked(tmp_path: Path) -> None:
    result = mine_local(BASKETS, min_support=0.4, min_confidence=0.5)
    rule_set = RuleSet.from_result(result, name="cases", by="product", source="test")
    path = save_rules(rule_set, rules_path(tmp_path / "rules", "cases"))
    assert path == tmp_path / "rules" / "cases.json"
    loaded = load_rules(path)
    assert loaded == rule_set
    raw = json.loads(path.read_text())
    assert set(raw) >= {"engine", "min_support", "n_baskets", "created_at", "itemsets", "rules"}
    assert raw["rules"][0].keys() == {"antecedent", "consequent", "support", "confidence", "lift"}
    assert [p.name for p in path.parent.iterdir()] == ["cases.json"]  # no temporary file left behind
    with pytest.raises(RulesError, match="rule set name"):
        rules_path(tmp_path, "../etc/passwd")


def test_loading_a_missing_or_foreign_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="kefu rules mine"):
        load_rules(tmp_path / "none.json")
    (tmp_path / "x.json").write_text('{"rules": []}')
    with pytest.raises(RulesError, match="not a Kefu rule file"):
        load_rules(tmp_path / "x.json")
