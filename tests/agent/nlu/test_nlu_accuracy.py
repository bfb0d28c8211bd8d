"""The trained intent classifier on the held-out splits of the data sets: accuracy and calibration."""

from __future__ import annotations

import pytest

from tests.datasets import needs_data

pytestmark = [pytest.mark.integration, needs_data]


def test_english_held_out_accuracy(intent_eval_rows: dict[str, dict]) -> None:
    en = intent_eval_rows["bitext"]
    assert en["n"] >= 700
    assert en["fine_accuracy"] >= 0.95 and en["accuracy"] >= 0.95
    assert en["accuracy"] > en["baseline_accuracy"]


def test_chinese_held_out_accuracy(intent_eval_rows: dict[str, dict]) -> None:
    zh = intent_eval_rows["kefu_zh"]
    assert zh["n"] >= 500
    assert zh["accuracy"] >= 0.93  # agent-level, unsure answers counted as wrong
    assert zh["fine_accuracy"] >= 0.90
    assert zh["accuracy"] > zh["baseline_accuracy"] + 0.3


def test_confidence_is_calibrated(intent_eval_rows: dict[str, dict]) -> None:
    assert intent_eval_rows["bitext"]["ece"] < 0.05
    assert intent_eval_rows["kefu_zh"]["ece"] < 0.08
