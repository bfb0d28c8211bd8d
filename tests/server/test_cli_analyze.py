"""`kefu analyze` run as a marketer would: JSON lines or CSV in, one JSON line out per text in input order
(language, sentiment, emotion, need tags with their words), the accuracy where texts carry labels, an error line
in place of a line it cannot read, and no progress bar in a pipe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

KEFU = str(Path(sys.executable).with_name("kefu"))
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def run(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")} | {"KEFU_LOG_LEVEL": "WARNING"}
    return subprocess.run([KEFU, "analyze", *args], env=env, input=stdin, capture_output=True, text=True,
                          timeout=300, cwd=ROOT)


def lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_json_lines_in_json_lines_out_in_order() -> None:
    given = [{"id": "a", "text": "价格太贵了，物流也慢，差评"},
             {"id": "b", "text": "Great quality and it fits perfectly, thank you!"},
             {"id": "c", "text": "The shirt runs small and shipping took forever to arrive.", "language": "en"}]
    r = run(["--fast"], "\n".join(json.dumps(g, ensure_ascii=False) for g in given) + "\n")
    assert r.returncode == 0, r.stderr
    out = lines(r.stdout)
    assert [o["id"] for o in out] == ["a", "b", "c"]
    a, b, c = out
    assert a["language"] == "zh" and a["sentiment"]["label"] == "negative" and a["affect"]["score"] < 0
    assert {n["tag"]: n["words"] for n in a["needs"]} == {"price": ["价格", "贵"], "delivery": ["物流也慢"]}
    assert b["language"] == "en" and b["sentiment"]["label"] == "positive" and b["affect"]["emotion"] == "satisfaction"
    assert 0.5 <= b["sentiment"]["probability"] <= 1.0
    assert {n["tag"] for n in b["needs"]} == {"quality", "size_fit"}
    assert {n["tag"] for n in c["needs"]} == {"size_fit", "delivery"} and c["sentiment"]["label"] == "negative"
    assert "accuracy" not in r.stderr and "analyze" not in r.stderr  # no labels, and no progress bar in a pipe


def test_labelled_csv_and_tsv_files_print_their_accuracy(tmp_path: Path) -> None:
    csv_file = tmp_path / "reviews.csv"
    csv_file.write_text("label,review\n1,味道很好，送餐很快，下次还点\n0,太难吃了，等了两个小时\n", encoding="utf-8")
    tsv_file = tmp_path / "sentences.tsv"
    tsv_file.write_text("sentence\tlabel\nI loved it, great service.\t1\nTerrible, rude staff.\t0\n"
                        "Awful food, never again.\t1\n", encoding="utf-8")
    r = run(["--fast", str(csv_file), str(tsv_file)])
    assert r.returncode == 0, r.stderr
    assert len(lines(r.stdout)) == 5
    assert f"accuracy 1.0000 (2/2) {csv_file}" in r.stderr
    assert f"accuracy 0.6667 (2/3) {tsv_file}" in r.stderr  # the third is labelled wrong on purpose
    assert "accuracy 0.8000 (4/5) all labelled texts" in r.stderr


def test_a_line_it_cannot_read_gets_an_error_line_in_its_place() -> None:
    r = run(["--fast", "--format", "jsonl"], '{"text": "好评"}\nnot json\n{"id": 7}\n{"text": "ok thanks"}\n')
    assert r.returncode == 1 and "2 input line(s) could not be read" in r.stderr
    out = lines(r.stdout)
    assert len(out) == 4 and "sentiment" in out[0] and "sentiment" in out[3]
    assert out[1]["line"] == 2 and "not JSON" in out[1]["error"]
    assert out[2]["id"] == 7 and "no text" in out[2]["error"]


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    r = run([str(tmp_path / "nope.jsonl")])
    assert r.returncode == 2 and "not found" in r.stderr and not r.stdout
    (tmp_path / "x.pdf").write_text("x")
    r = run([str(tmp_path / "x.pdf")])
    assert r.returncode == 2 and "unknown kind" in r.stderr
