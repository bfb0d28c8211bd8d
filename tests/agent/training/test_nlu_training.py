"""Training the intent classifier: reproducible from the seed, on a tiny subset so it stays fast."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.nlu import NLU
from agent.nlu.intent_model import load_weights
from agent.training.intents import all_splits, split, train_intents
from tests.datasets import DATA, needs_data

pytestmark = pytest.mark.integration


def _tiny(out: Path, seed: int) -> None:
    train_intents(DATA, seed=seed, out=out, dim=1 << 10, max_iter=15, limit_per_label=3, progress=False)


@needs_data
def test_same_seed_same_weights(tmp_path: Path) -> None:
    _tiny(tmp_path / "a.npz", 5)
    _tiny(tmp_path / "b.npz", 5)
    _tiny(tmp_path / "c.npz", 6)
    a, b, c = (load_weights(tmp_path / f"{n}.npz") for n in "abc")
    assert np.array_equal(a.weights, b.weights) and np.array_equal(a.bias, b.bias)
    assert a.temperature == b.temperature and a.meta["seed"] == 5
    assert not np.array_equal(a.weights, c.weights)  # another seed, another split and augmentation
    assert NLU(model=tmp_path / "a.npz").parse("hello").fine_intent is not None


@needs_data
def test_splits_are_stratified_disjoint_and_stable() -> None:
    s = all_splits(DATA, 13)
    train, val, test = ({(e.source, e.text) for e in part} for part in (s.train, s.val, s.test))
    assert not (train & test) and not (val & test) and not (train & val)
    bitext_test = [e for e in s.test if e.source == "bitext"]
    assert len({e.label for e in bitext_test}) == 27
    assert {e.label for e in s.test if e.source == "store_zh"} == {e.label for e in s.train if e.source == "store_zh"}
    # Input order does not matter.
    again = split(list(reversed(s.train + s.val + s.test)), 13)
    assert [e.text for e in again.test] == [e.text for e in s.test]


def test_missing_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="KEFU_DATA_DIR"):
        train_intents(tmp_path, out=tmp_path / "x.npz", progress=False)
