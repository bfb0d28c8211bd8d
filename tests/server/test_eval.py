"""`kefu eval` on a small budget: the table is complete (with the affect sign agreement and the need tags) and every
scripted conversation passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.evals.report import format_report, run_eval
from tests.datasets import shared_data

pytestmark = pytest.mark.integration


def test_eval_small_budget_all_conversations_pass(tmp_path: Path) -> None:
    data_dir = shared_data()
    report = run_eval(data_dir, budget=40, index_dir=tmp_path / "index")
    tasks = {(r["task"], r.get("language")) for r in report.rows}
    assert {("sentiment", "zh"), ("sentiment", "en"), ("intent", "zh"), ("intent", "en"), ("slots", "zh"),
            ("affect sign", "zh"), ("affect sign", "en"), ("voice emotion", "zh"), ("voice emotion", "en")} <= tasks
    assert "need tags (test:" in format_report(report) and report.needs["test"].n >= 100
    assert len(report.outcomes) >= 40
    assert report.suites_passed, format_report(report)
