"""The Spark engine (MLlib `FPGrowth` on `local[2]`) gives the local engine's itemsets and rules, reading the same
files the same way. The session is the test run's shared `spark` fixture: the JVM's start is most of the cost."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.datasets import DATA, needs_data
from tools.marketing.rules import MiningResult, RulesError, mine_local, read_baskets
from tools.marketing.rules.spark import mine_spark, read_baskets_frame

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.integration

GROCERIES = DATA / "groceries_basket" / "groceries.csv"


def assert_same(local: MiningResult, spark: MiningResult) -> None:
    assert (spark.engine, local.engine) == ("spark", "local")
    assert (spark.n_baskets, spark.n_items, spark.min_count) == (local.n_baskets, local.n_items, local.min_count)
    assert [s.items for s in spark.itemsets] == [s.items for s in local.itemsets]
    assert [s.count for s in spark.itemsets] == [s.count for s in local.itemsets]
    assert all(abs(a.support - b.support) <= 1e-9 for a, b in zip(spark.itemsets, local.itemsets, strict=True))
    ours = {(r.antecedent, r.consequent): r for r in local.rules}
    theirs = {(r.antecedent, r.consequent): r for r in spark.rules}
    assert theirs.keys() == ours.keys()
    for key, rule in theirs.items():
        expected = ours[key]
        assert rule.support == pytest.approx(expected.support, abs=1e-9, rel=0)
        assert rule.confidence == pytest.approx(expected.confidence, abs=1e-9, rel=0)
        assert rule.lift == pytest.approx(expected.lift, abs=1e-9, rel=0)


@needs_data
def test_groceries_file_read_by_spark_mines_the_local_itemsets_and_rules(spark: SparkSession) -> None:
    local = mine_local(read_baskets(GROCERIES), min_support=0.005, min_confidence=0.1)
    mined = mine_spark(spark, read_baskets_frame(spark, GROCERIES), min_support=0.005, min_confidence=0.1)
    assert len(mined.itemsets) == 1001 and len(mined.rules) == len(local.rules) > 1000
    assert_same(local, mined)


def test_a_messy_file_is_read_as_the_local_reader_reads_it(spark: SparkSession, tmp_path: Path) -> None:
    f = tmp_path / "messy.csv"
    lines = [
        "\ufeffcase, protector ,case",  # BOM, spaces, an item twice
        "",
        " , ,",  # no item: not a basket
        "case,protector,charger\r",  # CRLF
        "case\tprotector",  # a tab inside an item is part of it
        "charger,case\rprotector, cable",  # a lone CR ends a line
        "手机壳,钢化膜",
        "钢化膜 ,手机壳,",
    ]
    f.write_text("\n".join(lines), encoding="utf-8")
    local = mine_local(read_baskets(f), min_support=0.01, min_confidence=0.0)
    assert local.n_baskets == 7
    assert_same(local, mine_spark(spark, read_baskets_frame(spark, f), min_support=0.01, min_confidence=0.0))


def test_in_memory_baskets_like_the_stores_orders(spark: SparkSession) -> None:
    baskets = [["P1", "P2"], ["P1", "P2", "P3"], ["P1"], ["P2", "P3", "P2"], ["P1", "P2"], ["P4"]] * 7
    local = mine_local(baskets, min_support=0.2, min_confidence=0.3)
    mined = mine_spark(spark, baskets, min_support=0.2, min_confidence=0.3)
    assert {s.items for s in mined.itemsets} >= {("P1", "P2"), ("P2", "P3")}
    assert_same(local, mined)
    every = [["x", "y"], ["y", "x", "z"], ["x", "y"], ["y", "x", "w"]]  # x and y in every basket
    assert_same(mine_local(every, min_support=0.25), mine_spark(spark, every, min_support=0.25))


def test_an_unreadable_source_is_a_clear_error(spark: SparkSession, tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="no such baskets file"):
        read_baskets_frame(spark, tmp_path / "missing.csv")
    with pytest.raises(RulesError, match="cannot read file:///"):
        read_baskets_frame(spark, (tmp_path / "gone" / "b.csv").as_uri())
