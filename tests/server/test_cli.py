"""The `kefu` command line, run as a user would: demo-data, ingest, chat."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

KEFU = str(Path(sys.executable).with_name("kefu"))
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def run(args: list[str], env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KEFU, *args], env=env, input=stdin, capture_output=True, text=True, timeout=300, cwd=ROOT)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    e.update({"KEFU_DATABASE_URL": f"sqlite:///{tmp_path / 'kefu.db'}", "KEFU_INDEX_DIR": str(tmp_path / "index"),
              "KEFU_LOG_LEVEL": "WARNING"})
    return e


def test_demo_data_ingest_and_chat(env: dict[str, str], tmp_path: Path) -> None:
    r = run(["demo-data", "--seed", "3", "--customers", "40", "--orders", "300"], env)
    assert r.returncode == 0, r.stderr
    r = run(["demo-data", "--seed", "3", "--customers", "40", "--orders", "300"], env)
    assert r.returncode == 2 and "error" in r.stderr  # refuses to overwrite without --replace
    r = run(["demo-data", "--if-empty"], env)
    assert r.returncode == 0 and "nothing to do" in r.stdout

    docs = tmp_path / "docs" / "en"
    docs.mkdir(parents=True)
    (docs / "returns.md").write_text("# Returns\n\n## Window\n\nItems can be returned within 7 days of delivery.\n")
    r = run(["ingest", str(tmp_path / "docs")], env)
    assert r.returncode == 0, r.stderr
    r = run(["ingest", str(tmp_path / "missing")], env)
    assert r.returncode == 2 and "no such file" in r.stderr

    r = run(["chat", "--customer", "C00002"], env, stdin="Do you have phone cases?\nHow many days to return an item?\n")
    assert r.returncode == 0, r.stderr
    assert "[product]" in r.stdout
    assert "7 days" in r.stdout and "source: Returns" in r.stdout

    r = run(["chat", "--customer", "C99999"], env, stdin="")
    assert r.returncode == 2 and "no customer" in r.stderr
