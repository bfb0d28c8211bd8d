"""`kefu rules mine` on a baskets file with the local engine, as a user runs it: JSON, a table, the rule file,
and clear errors (exit 2, nothing written)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from server.cli import app
from server.settings import get_settings

pytestmark = pytest.mark.unit

BASKETS = (
    "phone case,screen protector\nphone case,screen protector,charger\nphone case,screen protector\n"
    "phone case\ncharger\n"
)


@pytest.fixture
def rules_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("KEFU_RULES_DIR", str(tmp_path / "rules"))
    get_settings.cache_clear()
    yield tmp_path / "rules"
    get_settings.cache_clear()


@pytest.fixture
def baskets(tmp_path: Path) -> Path:
    path = tmp_path / "cases.csv"
    path.write_text(BASKETS, encoding="utf-8")
    return path


def mine(*args: str):
    return CliRunner().invoke(app, ["rules", "mine", *args])


def test_json_output_is_the_rule_file_written_for_the_service(rules_dir: Path, baskets: Path) -> None:
    result = mine("--baskets", str(baskets), "--min-support", "0.4", "--min-confidence", "0.5", "--format", "json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["itemsets"][:2] == [
        {"items": ["phone case"], "support": 0.8},
        {"items": ["screen protector"], "support": 0.6},
    ]
    assert {"items": ["phone case", "screen protector"], "support": 0.6} in printed["itemsets"]
    assert printed["rules"] == [
        {"antecedent": ["screen protector"], "consequent": ["phone case"], "support": 0.6, "confidence": 1.0,
         "lift": 1.25},
        {"antecedent": ["phone case"], "consequent": ["screen protector"], "support": 0.6, "confidence": 0.75,
         "lift": 1.25},
    ]
    assert (printed["engine"], printed["n_baskets"], printed["min_support"]) == ("local", 5, 0.4)
    assert printed["by"] == "product"
    saved = json.loads((rules_dir / "cases.json").read_text())
    assert saved == printed
    assert "saved to" in result.stderr and "2 rules from 5 baskets" in result.stderr


def test_table_output_names_the_rules_and_out_moves_the_file(rules_dir: Path, baskets: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere" / "r.json"
    result = mine("--baskets", str(baskets), "--min-support", "0.4", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "screen protector" in result.stdout and "1.25" in result.stdout and "confidence" in result.stdout
    assert out.is_file() and not rules_dir.exists()
    result = mine("--baskets", str(baskets), "--min-support", "0.9", "--no-save")
    assert result.exit_code == 0 and "no rule reaches the thresholds" in result.stdout
    assert not rules_dir.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--baskets", "/no/such.csv", "--min-support", "0.1"], "no such baskets file"),
        (["--baskets", "{baskets}", "--min-support", "1.5"], "--min-support must be a fraction"),
        (["--baskets", "{baskets}", "--min-support", "0.1", "--min-confidence", "-1"], "--min-confidence must be"),
        (["--min-support", "0.1"], "either --baskets FILE or --from-orders"),
        (["--baskets", "{baskets}", "--from-orders", "--min-support", "0.1"], "either --baskets FILE or --from-orders"),
        (["--baskets", "hdfs://cluster/b.csv", "--min-support", "0.1"], "the local engine reads local files"),
        (["--baskets", "{baskets}", "--min-support", "0.1", "--name", "../x"], "rule set name"),
    ],
)
def test_user_errors_exit_2_with_a_message_and_write_nothing(
    rules_dir: Path, baskets: Path, args: list[str], message: str
) -> None:
    result = mine(*[a.replace("{baskets}", str(baskets)) for a in args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert not rules_dir.exists()


def test_spark_settings_come_from_kefu_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    from server.settings import Settings

    monkeypatch.setenv("KEFU_SPARK_MASTER", "spark://spark-master:7077")
    monkeypatch.setenv("KEFU_SPARK__SHUFFLE_PARTITIONS", "64")
    monkeypatch.setenv("KEFU_RULES_DIR", "/srv/rules")
    settings = Settings()
    assert (settings.spark.master, settings.spark.shuffle_partitions) == ("spark://spark-master:7077", 64)
    assert settings.rules.dir == Path("/srv/rules")
    monkeypatch.delenv("KEFU_SPARK_MASTER")
    assert Settings().spark.master == "local[2]"
