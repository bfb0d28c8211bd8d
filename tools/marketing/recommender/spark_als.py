"""The recommender's ALS trained on Apache Spark (pyspark MLlib `ALS`, implicit preferences), for customer ×
item matrices beyond one machine's ALS. Everything else the model holds (popularity, repeat propensity, the
item × item co-occurrence) stays numpy/scipy: it is one pass or one sparse product over the baskets, and it is
as big as the model file the service loads anyway — only ALS grows with the number of customers and iterates.

The factors land in the same `Recommender` file as `implicit`'s, so the service cannot tell the engines apart
(apart from `meta`). The two libraries state the model differently; here is how they are made to agree:

- confidence: implicit uses `c = alpha * r` (and 1 where nothing was seen), MLlib `c = 1 + alpha' * |r'|` with
  preference 1 only for `r' > 0`. MLlib gets `alpha' = 1` and `r' = alpha * r - 1` (at least `MIN_RATING`, so a
  seen item keeps preference 1): the same confidence, so the serving fold-in (`alpha * counts`) matches;
- regularization: MLlib multiplies `regParam` by each user's / item's number of ratings (ALS-WR); implicit
  does not. The same value is passed (it is the setting a user gives); on the demo store both engines' HR@10
  are in the same range (see the tests);
- ids: MLlib takes integer user and item ids and returns `itemFactors` as (id, features) rows in no order and
  only for items someone rated; rows are placed by id into the item × factors array (indexes of
  `Encoded.items`), and unrated items (catalogue only) get zero factors, as implicit's solve gives them;
- progress: MLlib fits in one job, so the progress bar moves by all iterations when it ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from tools.marketing.recommender.signals import ImplicitALS, Progress
from tools.marketing.spark_session import SparkError, spark_errors

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

MIN_RATING = 1e-6  # an observed item whose implicit confidence is 1: MLlib's rating must stay > 0
CHECKPOINT_INTERVAL = 10  # MLlib's default: iterations between checkpoints (when a checkpoint folder is set)


class SparkALS(ImplicitALS):
    """`ImplicitALS` whose `fit` runs MLlib `ALS(implicitPrefs=True)` on `spark`; scoring is inherited."""

    engine = "spark"

    def __init__(
        self, n_items: int, *, spark: SparkSession, factors: int = 32, iterations: int = 20,
        regularization: float = 0.05, alpha: float = 2.0, seed: int = 13, blocks: int | None = None,
    ) -> None:
        super().__init__(
            n_items, factors=factors, iterations=iterations, regularization=regularization, alpha=alpha, seed=seed
        )
        self.spark = spark
        self.blocks = blocks  # user and item blocks; default: the session's parallelism

    def fit(self, user_items: sparse.csr_matrix, progress: Progress | None = None) -> SparkALS:
        from pyspark.ml.recommendation import ALS

        coo = sparse.coo_matrix(user_items)
        coo.sum_duplicates()
        ratings = np.maximum(self.alpha * coo.data.astype(np.float64) - 1.0, MIN_RATING)
        rows = list(zip(coo.row.tolist(), coo.col.tolist(), ratings.tolist(), strict=True))
        factors = np.zeros((self.n_items, self.factors), dtype=np.float32)
        if rows:
            context = self.spark.sparkContext
            if context.getCheckpointDir() is None and self.iterations > CHECKPOINT_INTERVAL:
                raise SparkError(
                    f"ALS of {self.iterations} iterations needs a checkpoint folder every executor reaches, or the "
                    "JVM overflows its stack (`spark_session(checkpoint_dir=...)`; kefu: KEFU_SPARK_CHECKPOINT_DIR)"
                )
            blocks = self.blocks or max(1, context.defaultParallelism)
            als = ALS(
                rank=self.factors, maxIter=self.iterations, regParam=self.regularization, alpha=1.0,
                implicitPrefs=True, seed=self.seed, userCol="user", itemCol="item", ratingCol="rating",
                numUserBlocks=blocks, numItemBlocks=blocks, checkpointInterval=CHECKPOINT_INTERVAL,
            )
            with spark_errors("the Spark ALS job failed"):
                frame = self.spark.createDataFrame(rows, "user int, item int, rating double")
                learned = als.fit(frame).itemFactors.collect()
            for row in learned:
                factors[int(row["id"])] = row["features"]
        if progress:
            progress(self.iterations)
        self.item_factors = factors
        return self.ready()
