"""The need-tag labels and their measurement (`server.evals.needs`, `kefu eval needs`): at least 200 texts in zh
and en, every reference points at the labelled text of the shared sets, and the tagger's precision and recall on
the test part are what the lexicon was built to reach."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.evals.needs import LABELS_FILE, NeedLabel, evaluate_needs, load_labels
from tests.datasets import shared_data
from tools.marketing.insight import shared_tagger

pytestmark = pytest.mark.unit


def _data_dir() -> Path:
    return shared_data("chinese_sentiment", "english_sentiment")


def test_labels_are_well_formed() -> None:
    labels = [NeedLabel.model_validate_json(line) for line in LABELS_FILE.read_text(encoding="utf-8").splitlines()]
    assert len(labels) >= 200 and len({x.id for x in labels}) == len(labels)
    assert {x.language for x in labels} == {"zh", "en"}
    known = set(shared_tagger().tags)
    assert all(set(x.tags) <= known for x in labels)
    assert all((x.text is None) != (x.ref is None) for x in labels)
    assert {t for x in labels if x.split == "test" for t in x.tags} == known  # every tag is measured


def test_references_resolve_and_a_changed_text_is_refused(tmp_path: Path) -> None:
    items, skipped = load_labels(_data_dir())
    assert skipped is None and len(items) == len(LABELS_FILE.read_text(encoding="utf-8").splitlines())
    lines = LABELS_FILE.read_text(encoding="utf-8").splitlines()
    ref = next(json.loads(line) for line in lines if '"ref"' in line)
    ref["ref"]["row"] += 1  # now it points at another text
    changed = tmp_path / "needs.jsonl"
    changed.write_text(json.dumps(ref, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no longer points"):
        load_labels(_data_dir(), changed)


def test_precision_and_recall_on_the_test_part() -> None:
    report = evaluate_needs(_data_dir())["test"]
    micro = report.scores[-1]
    assert micro.tag == "micro" and micro.precision is not None and micro.recall is not None
    assert micro.precision >= 0.9 and micro.recall >= 0.85, micro
    assert all(s.recall is not None and s.recall >= 0.6 for s in report.scores if s.support >= 5), report.scores


def test_without_the_shared_sets_the_written_texts_are_still_scored(tmp_path: Path) -> None:
    reports = evaluate_needs(tmp_path)
    assert reports["all"].skipped and "chinese_sentiment" in reports["all"].skipped
    assert reports["all"].n >= 150
