"""The one place a `SparkSession` is configured, shared by the Spark engines of rule mining (MLlib `FPGrowth`)
and recommender training (MLlib `ALS`). pyspark and the JVM start only when a function here runs.

`spark_session` returns the active session when there is one (`SparkSession.builder.getOrCreate()`), so one
process — a test session, a notebook — starts one JVM however many jobs it runs.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[2]"
DEFAULT_LOCAL_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


class SparkError(ValueError):
    """Spark cannot run a job (pyspark or Java missing, a master out of reach, a failing job); `str(error)` says
    why, fit to show the user."""


def spark_session(
    master: str = DEFAULT_MASTER,
    *,
    app_name: str = "kefu",
    shuffle_partitions: int = 4,
    local_java_options: str = DEFAULT_LOCAL_JAVA_OPTIONS,
    checkpoint_dir: str = "",
) -> SparkSession:
    """A (shared) SparkSession on `master`; a `SparkError` when pyspark or Java is missing.

    A local master binds the driver to 127.0.0.1 (no network needed) and starts its JVM with
    `local_java_options` (they apply only when this call starts the JVM); the web UI is off.
    `shuffle_partitions` is small by default because a store's data is small; raise it on a cluster.
    `checkpoint_dir` is where iterative jobs (ALS) cut their lineage — without it a JVM overflows its stack
    after some twenty iterations; on a cluster it must be a folder every executor reaches (`hdfs://…`); a local
    master without one gets a temporary folder, removed when the process ends.
    When a session is already active it is returned (only its runtime SQL settings change).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise SparkError("the spark engine needs pyspark (pip install pyspark) and Java 17") from exc
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
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        hint = " (is Java 17 installed, on PATH or in JAVA_HOME?)" if "JAVA_GATEWAY" in first else ""
        raise SparkError(f"cannot start Spark on {master}: {first}{hint}") from exc
    context = session.sparkContext
    context.setLogLevel("ERROR")
    if checkpoint_dir:
        context.setCheckpointDir(checkpoint_dir)
    elif context.getCheckpointDir() is None and master.startswith("local"):
        folder = tempfile.mkdtemp(prefix="kefu-spark-checkpoints-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        context.setCheckpointDir(folder)
    return session


@contextmanager
def spark_errors(what: str, error: type[Exception] = SparkError) -> Iterator[None]:
    """A failing Spark job (an unreadable path, a lost cluster, a JVM error) as an `error` with Spark's first
    line of explanation; pyspark and py4j raise many unrelated types for these. An `error` passes as it is."""
    try:
        yield
    except error:
        raise
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise error(f"{what}: {first[:300]}") from exc
