"""The recommender on a real (small) demo store: training from the database through the CLI, the model
file the service loads, the catalogue's fit on real products, and the evaluation on a tiny slice."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from server.cli import app
from server.evals.recommender import groceries_rows, store_rows
from tools.marketing.recommender import Recommender, TrainConfig, next_basket

pytestmark = pytest.mark.integration


def test_train_command_writes_a_model_that_fits_phone_cases_to_the_customers_phone(
    demo_store_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "models" / "recommender.npz"
    result = CliRunner().invoke(
        app, ["train", "recommender", "--database-url", demo_store_url, "--out", str(out), "--iterations", "3"]
    )
    assert result.exit_code == 0, result.output
    assert out.exists() and out.with_suffix(".json").exists()
    model = Recommender.load(out)
    _, infos = store_rows(demo_store_url)
    by_id = {i.item: i for i in infos}
    phone = next(i for i in infos if i.category == "phone" and i.attributes.get("model") == "iPhone 16")
    recs = model.recommend([[phone.item]], category="phone_case", k=4)
    assert recs, "an iPhone 16 owner asking for a case gets cases"
    for c in recs:
        assert "iPhone 16" in by_id[c.item].attributes["compatible_with"]
        assert c.source == "compatible"
    other = next(i for i in infos if i.category == "phone" and i.attributes.get("model") == "Galaxy S24 Ultra")
    assert {c.item for c in model.recommend([[other.item]], category="phone_case", k=4)}.isdisjoint(
        {c.item for c in recs}
    )


def test_train_command_refuses_an_empty_store_clearly(tmp_path: Path) -> None:
    from server.db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    upgrade(url)
    result = CliRunner().invoke(app, ["train", "recommender", "--database-url", url, "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "no orders" in result.output


def test_next_basket_scores_every_method_on_a_small_demo_store(demo_store_url: str) -> None:
    # (the acceptance figure, shipped above popularity, is measured on the full demo store by
    # `kefu eval recommender`; a 120-customer store is too small for any method to lead reliably)
    visits, infos = store_rows(demo_store_url)
    scores = {s.method: s for s in next_basket(visits, infos, config=TrainConfig(iterations=5)) if s.users}
    assert set(scores) == {"popularity", "co-occurrence", "ALS (plain)", "shipped"}
    assert all(0 < s.hr < 1 and 0 < s.ndcg <= s.hr and s.users > 100 for s in scores.values())


def test_eval_command_reports_every_method_on_a_slice(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "groceries_members"
    folder = tmp_path / "groceries_members"
    folder.mkdir()
    with (source / "Groceries_dataset.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    members = sorted({r[0] for r in rows[1:]})[:150]
    with (folder / "Groceries_dataset.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([rows[0], *(r for r in rows[1:] if r[0] in set(members))])
    assert len({v.user for v in groceries_rows(folder)}) == 150
    result = CliRunner().invoke(app, ["eval", "recommender", "--quick", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for line in ("demo store: next visit", "Groceries members: next visit", "popularity", "shipped", "ALS (plain)"):
        assert line in result.output
