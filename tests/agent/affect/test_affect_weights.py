"""The shipped affect weights, and unusable weights failing with a message that says how to rebuild them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.affect import AffectModelError, TextAffect
from agent.affect.model import MODELS_DIR, SentimentModel

pytestmark = pytest.mark.unit
FILES = ("affect_zh.npz", "affect_en.npz", "emotion.npz")


def test_shipped_zh_model_refines_long_reviews_on_their_first_128_characters() -> None:
    zh = SentimentModel.load(MODELS_DIR / "affect_zh.npz")
    assert zh.can_refine and 0 < zh.refine_margin < 0.5
    assert zh.e5_text("好" * 500) == "好" * 128
    en = SentimentModel.load(MODELS_DIR / "affect_en.npz")
    assert en.can_refine and en.e5_text("x" * 500) == "x" * 500


def test_missing_weights_name_the_rebuild_command(tmp_path: Path) -> None:
    with pytest.raises(AffectModelError, match="kefu train affect") as err:
        TextAffect(tmp_path).analyze("hello", "en")
    assert "missing" in str(err.value)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "wrong_kind"])
def test_corrupted_weights_name_the_rebuild_command(tmp_path: Path, damage: str) -> None:
    for name in FILES:
        shutil.copy(MODELS_DIR / name, tmp_path / name)
    target = tmp_path / "affect_en.npz"
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    elif damage == "garbage":
        target.write_bytes(b"not a weights file at all")
    else:
        shutil.copy(MODELS_DIR / "emotion.npz", target)
    reader = TextAffect(tmp_path)
    with pytest.raises(AffectModelError, match="kefu train affect") as err:
        reader.warm_up()
    assert "affect_en.npz" in str(err.value)
