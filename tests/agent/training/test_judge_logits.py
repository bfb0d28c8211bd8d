"""The training-time cache of judge answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.training.judge_logits import cache_path, judge_logits
from tests.fakes import ScriptedJudge

pytestmark = pytest.mark.unit


def test_damaged_judge_cache_is_only_a_slower_run(tmp_path: Path) -> None:
    judge = ScriptedJudge("judge:c", answer=2.5)
    cache_path(judge.judge_id, tmp_path).write_bytes(b"PK\x03\x04 not a zip")
    out = judge_logits(["a", "b", "a"], judge, lambda it, d, n: it, cache_dir=tmp_path)
    assert out.tolist() == [2.5, 2.5, 2.5]
    judge.answer = -1.0  # now served from the rewritten cache, not asked again
    assert judge_logits(["b"], judge, lambda it, d, n: it, cache_dir=tmp_path).tolist() == [2.5]
