"""What the batch commands with `--engine local|spark` share (`rules mine`, `train recommender`, `eval
recommender`): the engine choice and a SparkSession configured from the settings' `spark` section."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from server.settings import get_settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class Engine(StrEnum):
    local = "local"
    spark = "spark"


def start_spark(app_name: str, master: str | None = None) -> SparkSession:
    """The SparkSession on `master` (default `KEFU_SPARK_MASTER`), or the active one; a `SparkError` saying what
    is missing (pyspark, Java, the cluster)."""
    from tools.marketing.spark_session import spark_session

    settings = get_settings().spark
    return spark_session(
        master or settings.master,
        app_name=app_name,
        shuffle_partitions=settings.shuffle_partitions,
        local_java_options=settings.local_java_options,
        checkpoint_dir=settings.checkpoint_dir,
    )
