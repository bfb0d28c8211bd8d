"""`kefu rules mine` against a real store and a real Spark: the demo store's orders by product and by category,
product ids mapped to categories, and the Spark engine writing the local engine's rule file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from server.cli import app
from server.settings import get_settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def kefu(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT
    )


@pytest.fixture
def env(tmp_path: Path, demo_store_url: str) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    e.update({"KEFU_DATABASE_URL": demo_store_url, "KEFU_RULES_DIR": str(tmp_path / "rules"),
              "KEFU_LOG_LEVEL": "WARNING"})
    return e


def rules_of(rule_file: dict) -> dict[tuple[tuple[str, ...], str], float]:
    return {(tuple(r["antecedent"]), r["consequent"][0]): r["confidence"] for r in rule_file["rules"]}


def test_the_stores_orders_by_category_pair_phones_with_cases(env: dict[str, str], tmp_path: Path) -> None:
    r = kefu(["rules", "mine", "--from-orders", "--by", "category", "--min-support", "0.01", "--format", "json"], env)
    assert r.returncode == 0, r.stderr
    printed = json.loads(r.stdout)
    assert printed["by"] == "category" and printed["source"] == "orders" and printed["n_baskets"] > 1000
    rules = rules_of(printed)
    assert (("phone",), "phone_case") in rules  # the demo store's shoppers buy a case with a phone
    assert all(r["lift"] > 0 and 0.1 <= r["confidence"] <= 1 for r in printed["rules"])
    assert json.loads((tmp_path / "rules" / "orders-category.json").read_text()) == printed
    again = kefu(["rules", "mine", "--from-orders", "--by", "category", "--min-support", "0.5", "--if-missing"], env)
    assert again.returncode == 0 and "nothing to do" in again.stderr  # `make run` mines once
    assert json.loads((tmp_path / "rules" / "orders-category.json").read_text()) == printed


def test_the_stores_orders_by_product_and_product_ids_mapped_to_categories(env: dict[str, str], tmp_path: Path) -> None:
    r = kefu(["rules", "mine", "--from-orders", "--min-support", "0.002", "--format", "json"], env)
    assert r.returncode == 0, r.stderr
    by_product = json.loads(r.stdout)
    assert by_product["by"] == "product" and by_product["rules"]
    assert all(item.startswith("P") for s in by_product["itemsets"] for item in s["items"])

    # the same baskets written as a file of product ids, mined by category, give the orders' category rules
    from server.db.baskets import order_baskets
    from server.db.engine import make_engine, make_session_factory

    baskets = order_baskets(make_session_factory(make_engine(env["KEFU_DATABASE_URL"])))
    path = tmp_path / "ids.csv"
    path.write_text("\n".join(",".join(b) for b in baskets) + "\n")
    r = kefu(["rules", "mine", "--baskets", str(path), "--by", "category", "--min-support", "0.01",
              "--format", "json"], env)
    assert r.returncode == 0, r.stderr
    from_file = json.loads(r.stdout)
    r = kefu(["rules", "mine", "--from-orders", "--by", "category", "--min-support", "0.01", "--no-save", "--format",
              "json"], env)
    assert rules_of(from_file) == rules_of(json.loads(r.stdout))
    assert (tmp_path / "rules" / "ids-category.json").is_file()

    path.write_text("P0001,NOPE-1\n")
    r = kefu(["rules", "mine", "--baskets", str(path), "--by", "category", "--min-support", "0.5"], env)
    assert r.returncode == 2 and "unknown: NOPE-1" in r.stderr


def test_no_database_is_a_clear_error(env: dict[str, str], tmp_path: Path) -> None:
    env["KEFU_DATABASE_URL"] = f"sqlite:///{tmp_path / 'missing' / 'kefu.db'}"
    r = kefu(["rules", "mine", "--from-orders", "--min-support", "0.1"], env)
    assert r.returncode == 2 and "cannot read the store's orders" in r.stderr and "Traceback" not in r.stderr


def test_spark_engine_writes_the_local_engines_rule_file(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # in process, on the test run's SparkSession: the command's `spark_session` returns the active one
    monkeypatch.setenv("KEFU_RULES_DIR", str(tmp_path / "rules"))
    monkeypatch.setenv("KEFU_SPARK_MASTER", "local[2]")
    get_settings.cache_clear()
    path = tmp_path / "baskets.csv"
    path.write_text("case,protector\ncase,protector,charger\n case ,protector\ncase\ncharger,cable\ncable\n")
    files = {}
    try:
        for engine in ("local", "spark"):
            out = tmp_path / f"{engine}.json"
            r = CliRunner().invoke(app, ["rules", "mine", "--baskets", str(path), "--min-support", "0.3",
                                         "--min-confidence", "0.2", "--engine", engine, "--out", str(out)])
            assert r.exit_code == 0, r.output
            assert f"on the {engine} engine" in r.stdout
            files[engine] = json.loads(out.read_text())
    finally:
        get_settings.cache_clear()
    local, mined = files["local"], files["spark"]
    assert (local["engine"], mined["engine"]) == ("local", "spark")
    for key in ("created_at", "engine"):
        local.pop(key), mined.pop(key)
    assert mined == local
    assert local["n_baskets"] == 6 and rules_of(local)[(("protector",), "case")] == 1.0
