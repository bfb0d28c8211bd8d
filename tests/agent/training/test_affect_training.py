"""Affect training is reproducible from its seed, on splits that stay fixed (a minute: it trains)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.affect import TextAffect
from agent.training.affect import train_affect
from agent.training.affect_data import default_data_dir, load_emotions, load_english, stratified_split

pytestmark = pytest.mark.integration
FILES = ("affect_zh.npz", "affect_en.npz", "emotion.npz")


def test_same_seed_gives_byte_identical_weights(tmp_path: Path) -> None:
    first = train_affect(out_dir=tmp_path / "a", seed=3, limit=40)
    second = train_affect(out_dir=tmp_path / "b", seed=3, limit=40)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert set(first.files) == {"zh", "en", "emotion"} and "sentiment en" in str(second)
    # The small model is a working model: it loads and reads affect.
    affect = TextAffect(tmp_path / "a").analyze("谢谢，很满意", "zh")
    assert affect.label in {"satisfaction", "neutral"}


def test_held_out_splits_are_fixed_and_disjoint() -> None:
    rows = load_english(default_data_dir())
    train, test = stratified_split(rows)
    again_train, again_test = stratified_split(rows)
    assert test == again_test and train == again_train
    assert not {r.text for r in train} & {r.text for r in test}
    assert 0.18 < len(test) / len(rows) < 0.22
    emo_train, emo_test = stratified_split(load_emotions(), 0.25)
    assert not {r.text for r in emo_train} & {r.text for r in emo_test}
