"""The recommender's ALS trained on Spark (MLlib `ALS` on `local[2]`, the test run's shared `spark` session):
the model file the service loads, sensible lists, accuracy in the local engine's range, and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from typer.testing import CliRunner

from server.cli import app
from server.evals.recommender import store_rows
from tools.marketing.recommender import (
    BusinessRules,
    ItemInfo,
    Recommender,
    TrainConfig,
    Visit,
    Weights,
    fit_recommender,
)
from tools.marketing.recommender.data import Encoded, leave_last_visit_out, visits_from_rows
from tools.marketing.recommender.metrics import hit_at_k, top_k
from tools.marketing.recommender.signals import ImplicitALS
from tools.marketing.recommender.spark_als import SparkALS

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
START = date(2026, 1, 1)


def two_clusters() -> list[Visit]:
    """40 customers: the even ones buy only A items, the odd ones only B items, three visits each."""
    rows = []
    for c in range(40):
        side = "A" if c % 2 == 0 else "B"
        for v in range(3):
            for k in range(3):
                rows.append((f"u{c}", START + timedelta(days=c + 7 * v), f"{side}{(c + v + 2 * k) % 6}"))
    return visits_from_rows(rows)


def test_a_spark_trained_model_loads_in_the_service_and_keeps_to_the_customers_cluster(
    spark: SparkSession, tmp_path: Path
) -> None:
    catalogue = [ItemInfo(f"{side}{i}", f"cat-{side}") for side in "AB" for i in range(6)] + [ItemInfo("NEW")]
    config = TrainConfig(factors=4, iterations=8, tune=False)
    trained = fit_recommender(two_clusters(), catalogue, config=config, als=partial(SparkALS, spark=spark),
                              weights=Weights(popular=0.0, model=1.0))
    path = trained.save(tmp_path / "recommender.npz")
    model = Recommender.load(path)  # what the service does
    assert model.meta["als_engine"] == "spark" and model.meta["config"]["factors"] == 4
    assert model.item_factors.shape == (13, 4) and model.item_factors.dtype == np.float32
    assert not model.item_factors[model.items.index("NEW")].any()  # in the catalogue, never bought: no factors
    rules = BusinessRules(max_per_category=None)  # no diversity across the two categories: ALS's ranking as it is
    recs = model.recommend([["A0", "A1"]], k=4, rules=rules)
    assert len(recs) == 4 and all(c.item.startswith("A") and c.source == "model" for c in recs), recs
    assert all(c.item.startswith("B") for c in model.recommend([["B3"]], k=4, rules=rules))
    local = fit_recommender(two_clusters(), catalogue, config=config, weights=Weights(popular=0.0, model=1.0))
    assert local.meta["als_engine"] == "local"
    assert all(c.item.startswith("A") for c in local.recommend([["A0", "A1"]], k=4, rules=rules))


def test_spark_als_hits_as_often_as_local_als_on_the_demo_store(spark: SparkSession, demo_store_url: str) -> None:
    # the ALS signal of the shipped model (TrainConfig's settings), alone, leave-last-visit-out HR@10
    visits, _ = store_rows(demo_store_url)
    split = leave_last_visit_out(visits)
    enc = Encoded.build(split.train)
    matrix = enc.user_items(sorted(enc.histories))
    config = TrainConfig()
    settings = {"factors": config.factors, "iterations": config.iterations,
                "regularization": config.regularization, "alpha": config.alpha, "seed": config.seed}
    hr = {}
    for engine, als in (("local", ImplicitALS(enc.n_items, **settings)),
                        ("spark", SparkALS(enc.n_items, spark=spark, **settings))):
        als.fit(matrix)
        hits = [hit_at_k([enc.items[i] for i in top_k(als.score(enc.histories.get(u, [])), 10)], held)
                for u, held in split.held_out.items()]
        hr[engine] = float(np.mean(hits))
    print(f"HR@10 of ALS alone on the demo store ({len(split.held_out)} customers): {hr}")
    assert hr["spark"] > 0.05 and abs(hr["spark"] - hr["local"]) <= 0.05, hr


def test_train_command_on_spark_writes_the_model_file_the_service_loads(
    spark: SparkSession, demo_store_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "models" / "recommender.npz"
    result = CliRunner().invoke(app, ["train", "recommender", "--engine", "spark", "--database-url", demo_store_url,
                                      "--out", str(out), "--iterations", "3", "--no-tune"])
    assert result.exit_code == 0, result.output
    assert "ALS on the spark engine" in result.output
    model = Recommender.load(out)
    assert model.meta["als_engine"] == "spark" and np.abs(model.item_factors).sum() > 0
    _, infos = store_rows(demo_store_url)
    by_id = {i.item: i for i in infos}
    phone = next(i for i in infos if i.category == "phone" and i.attributes.get("model") == "iPhone 16")
    recs = model.recommend([[phone.item]], category="phone_case", k=4)
    assert recs and all("iPhone 16" in by_id[c.item].attributes["compatible_with"] for c in recs)


def test_train_command_says_what_is_missing_without_pyspark(
    demo_store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # as if pyspark were not installed
    result = CliRunner().invoke(app, ["train", "recommender", "--engine", "spark", "--database-url", demo_store_url,
                                      "--out", str(tmp_path / "m.npz")])
    assert result.exit_code == 2 and "needs pyspark" in result.output
    assert not (tmp_path / "m.npz").exists()


def test_train_command_says_what_is_missing_without_java(demo_store_url: str, tmp_path: Path) -> None:
    # a process of its own: the test run's JVM is already up
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEFU_", "PYSPARK_"))}
    env |= {"JAVA_HOME": str(tmp_path / "no-java"), "KEFU_LOG_LEVEL": "WARNING"}
    r = subprocess.run(
        [sys.executable, "-m", "server.cli", "train", "recommender", "--engine", "spark", "--database-url",
         demo_store_url, "--out", str(tmp_path / "m.npz")],
        env=env, capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert r.returncode == 2, r.stderr
    assert "cannot start Spark on local[2]" in r.stderr and "Java" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "m.npz").exists()
