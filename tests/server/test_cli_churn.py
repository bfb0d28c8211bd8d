"""`kefu eval churn --database-url`: both AUCs on a store's held-back months, or a plain error without history."""

from __future__ import annotations

import re
from datetime import date

import pytest
from typer.testing import CliRunner

from server.cli import app

pytestmark = pytest.mark.integration


def test_eval_churn_prints_model_and_recency_auc(demo_store_url: str, demo_as_of: date) -> None:
    result = CliRunner().invoke(app, ["eval", "churn", "--database-url", demo_store_url,
                                      "--as-of", demo_as_of.isoformat()])
    assert result.exit_code == 0, result.output
    model = re.search(r"AUC model .*: (0\.\d+)", result.output)
    recency = re.search(r"AUC recency only .*: +(0\.\d+)", result.output)
    assert model and recency and 0.5 < float(recency.group(1)) < 1 and 0.5 < float(model.group(1)) < 1
    assert "test (held back): 2 cut-offs" in result.output


def test_eval_churn_on_an_empty_store_says_why(sqlite_url: str) -> None:
    from server.db.migrate import upgrade

    upgrade(sqlite_url)
    result = CliRunner().invoke(app, ["eval", "churn", "--database-url", sqlite_url])
    assert result.exit_code == 2 and "no customer has an order" in result.output
    bad = CliRunner().invoke(app, ["eval", "churn", "--database-url", sqlite_url, "--as-of", "yesterday"])
    assert bad.exit_code == 2 and "not a date" in bad.output
