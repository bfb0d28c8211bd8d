"""Training-time e5 embeddings: the cache changes no result."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent.e5 import shared_e5
from agent.training.e5_embed import e5_embed

pytestmark = pytest.mark.integration


def _no_progress(items: Iterable[Any], desc: str, total: int) -> Iterable[Any]:
    return items


def test_cached_vectors_equal_fresh_ones_and_keep_order(tmp_path: Path) -> None:
    texts = ["送餐太慢了，饭都凉了", "great food, friendly staff", "送餐太慢了，饭都凉了"]
    first = e5_embed(texts, _no_progress, cache_dir=tmp_path, workers=1)
    assert (tmp_path / "e5_sentiment.npz").is_file()
    again = e5_embed(list(reversed(texts)), _no_progress, cache_dir=tmp_path, workers=1)
    assert first.shape == (3, 384)
    assert np.array_equal(again[::-1], first)  # from the cache, in the caller's order
    fresh = shared_e5().encode(texts[1])
    assert np.allclose(first[1], fresh, atol=1e-5)
