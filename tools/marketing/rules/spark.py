"""The Spark engine: pyspark MLlib `FPGrowth` for the itemsets and rules, on `local[2]` or a cluster.

Same thresholds, same parsing of a baskets file (`baskets.py`'s rules, written here as Spark SQL so the file is
read by the cluster rather than shipped from the driver), same `MiningResult` as the local engine. Also
`spark_session`, the one place a `SparkSession` is configured (the ALS trainer may reuse it). pyspark and the
JVM start only when a function here runs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

DEFAULT_MASTER = "local[2]"


DEFAULT_LOCAL_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def spark_session(
    master: str = DEFAULT_MASTER,
    *,
    app_name: str = "kefu",
    shuffle_partitions: int = 4,
    local_java_options: str = DEFAULT_LOCAL_JAVA_OPTIONS,
) -> SparkSession:
    """A (shared) SparkSession on `master`; a `RulesError` when pyspark or Java is missing.

    A local master binds the driver to 127.0.0.1 (no network needed) and starts its JVM with
    `local_java_options` (they apply only when this call starts the JVM); the web UI is off.
    `shuffle_partitions` is small by default because a store's baskets are small; raise it on a cluster.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise RulesError("the spark engine needs pyspark (pip install pyspark) and Java 17") from exc
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(shuffle_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if master.startswith("local"):
        builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        if local_java_options:
            builder = builder.config("spark.driver.extraJavaOptions", local_java_options)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # py4j/pyspark raise several types when the JVM cannot start or reach the master
        raise RulesError(f"cannot start Spark on {master}: {str(exc).splitlines()[0][:300]}") from exc
    session.sparkContext.setLogLevel("ERROR")
    return session


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


@contextmanager
def spark_errors(what: str) -> Iterator[None]:
    """A failing Spark job (an unreadable path, a lost cluster, a JVM error) as a `RulesError` with Spark's
    first line of explanation; pyspark and py4j raise many unrelated types for these."""
    try:
        yield
    except RulesError:
        raise
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise RulesError(f"{what}: {first[:300]}") from exc


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
