"""The Spark engine: pyspark MLlib `FPGrowth` for the itemsets and rules, on `local[2]` or a cluster.

Same thresholds, same parsing of a baskets file (`baskets.py`'s rules, written here as Spark SQL so the file is
read by the cluster rather than shipped from the driver), same `MiningResult` as the local engine. The session
comes from `tools.marketing.spark_session` (shared with the recommender's ALS training). pyspark and the JVM
start only when a function here runs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools.marketing.rules.baskets import SPARK_STRIP_REGEX
from tools.marketing.rules.errors import RulesError
from tools.marketing.rules.mining import (
    Itemset,
    MiningResult,
    Rule,
    check_thresholds,
    min_count_for,
    sort_itemsets,
    sort_rules,
)
from tools.marketing.spark_session import spark_errors as _spark_errors

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def _parsed_items(column: str = "value") -> Any:
    """`baskets.parse_basket` in Spark SQL: split on commas, strip, drop empty items, keep each item once."""
    from pyspark.sql import functions as F

    stripped = F.transform(F.split(F.col(column), ","), lambda x: F.regexp_replace(x, SPARK_STRIP_REGEX, ""))
    return F.array_distinct(F.filter(stripped, lambda x: x != ""))


def baskets_uri(source: str | Path) -> str:
    """A URI Spark can read: a local path becomes `file:///…` (checked here, before Spark starts); a URI
    (`hdfs://`, `s3a://`, `file://`) is passed on as it is."""
    text = str(source)
    if "://" in text:
        return text
    path = Path(text)
    if not path.is_file():
        raise RulesError(f"no such baskets file: {path}")
    return path.resolve().as_uri()


def read_baskets_frame(spark: SparkSession, source: str | Path) -> DataFrame:
    """The baskets of a text file as a DataFrame with one column `items` (array<string>), read by Spark."""
    from pyspark.sql import functions as F

    uri = baskets_uri(source)
    with spark_errors(f"cannot read {uri}"):
        lines = spark.read.text(uri)
    return lines.select(_parsed_items().alias("items")).where(F.size("items") > 0)


def baskets_frame(spark: SparkSession, baskets: Sequence[Sequence[str]]) -> DataFrame:
    """In-memory baskets (the store's orders) as the same DataFrame (an item repeated in a basket counts once)."""
    from pyspark.sql import functions as F

    frame = spark.createDataFrame([(list(b),) for b in baskets], "items array<string>")
    return frame.select(F.array_distinct("items").alias("items"))


def spark_errors(what: str) -> AbstractContextManager[None]:
    """A failing Spark job as a `RulesError` with Spark's first line of explanation."""
    return _spark_errors(what, RulesError)


def mine_spark(
    spark: SparkSession,
    baskets: DataFrame | Sequence[Sequence[str]],
    *,
    min_support: float,
    min_confidence: float = 0.0,
) -> MiningResult:
    """Frequent itemsets and one-consequent rules with MLlib `FPGrowth`, as `mine_local` gives them."""
    from pyspark.ml.fpm import FPGrowth
    from pyspark.sql import DataFrame
    from pyspark.sql import functions as F

    check_thresholds(min_support, min_confidence)
    started = time.perf_counter()
    frame = baskets if isinstance(baskets, DataFrame) else baskets_frame(spark, baskets)
    frame = frame.cache()
    try:
        with spark_errors("the Spark job failed"):
            n = frame.count()
            if n == 0:
                raise RulesError("no baskets to mine")
            n_items = frame.select(F.explode("items").alias("item")).distinct().count()
            # Spark's own threshold is ceil(minSupport * n), the same as min_count_for.
            model = FPGrowth(itemsCol="items", minSupport=min_support, minConfidence=min_confidence).fit(frame)
            # The model's itemsets are an uncached DataFrame that its rules are built from: cached, FP-growth runs
            # once instead of once per action.
            frequent = model.freqItemsets.cache()
            itemsets = [
                Itemset(tuple(sorted(row["items"])), int(row["freq"]), int(row["freq"]) / n)
                for row in frequent.collect()
            ]
            rules = [
                Rule(
                    tuple(sorted(row["antecedent"])),
                    tuple(row["consequent"]),
                    float(row["support"]),
                    float(row["confidence"]),
                    float(row["lift"]),
                )
                for row in model.associationRules.collect()
            ]
            frequent.unpersist()
    finally:
        frame.unpersist()
    return MiningResult(
        engine="spark",
        n_baskets=n,
        min_support=min_support,
        min_confidence=min_confidence,
        min_count=min_count_for(min_support, n),
        itemsets=sort_itemsets(itemsets),
        rules=sort_rules(rules),
        n_items=n_items,
        seconds=time.perf_counter() - started,
    )
