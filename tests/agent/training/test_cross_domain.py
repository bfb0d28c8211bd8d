"""Cross-domain sentiment (`kefu eval cross-domain`): source balancing weighs every (source, label) group alike,
and a model trained on one source is measured on another's held-out part, on a small made-up pair of sources
whose shares of positive text differ as hotel and takeaway reviews do."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from agent.training.affect import source_balance
from agent.training.affect_data import Example
from agent.training.cross_domain import cross_domain, off_diagonal_mean

pytestmark = pytest.mark.unit

GOOD = ["很好", "不错", "满意", "推荐", "喜欢", "赞"]
BAD = ["很差", "失望", "难受", "不推荐", "糟糕", "后悔"]


def test_source_balance_gives_each_group_the_same_weight() -> None:
    rows = [Example("a", 1, "hotel", "zh")] * 6 + [Example("b", 0, "hotel", "zh")] * 2 + \
        [Example("c", 1, "waimai", "zh")] * 1 + [Example("d", 0, "waimai", "zh")] * 3
    w = source_balance(rows)
    groups = {}
    for r, weight in zip(rows, w, strict=True):
        groups[(r.source, r.label)] = groups.get((r.source, r.label), 0.0) + weight
    assert np.allclose(list(groups.values()), len(rows) / 4)


def _write(folder: Path, name: str, positive_share: float, topic: list[str], n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    with (folder / name).open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["label", "review"])
        for i in range(n):
            label = int(rng.random() < positive_share)
            words = rng.choice(GOOD if label else BAD, 2)
            out.writerow([label, f"{topic[i % len(topic)]}{''.join(words)}{i}"])


def test_a_table_of_every_train_and_test_source(tmp_path: Path) -> None:
    folder = tmp_path / "chinese_sentiment"
    folder.mkdir()
    _write(folder, "ChnSentiCorp_htl_all.csv", 0.7, ["房间", "前台", "早餐"], 300, 1)
    _write(folder, "waimai_10k.csv", 0.3, ["米饭", "送餐", "汤"], 300, 2)
    table = cross_domain("zh", tmp_path, balance=True, baseline=False)
    assert set(table.rows) == {"hotel only", "waimai only", "other sources", "all sources (shipped)"}
    assert table.n_test == {"hotel": 60, "waimai": 60}
    # the sentiment words are shared by both sources: a model of either reads the other well
    assert table.rows["hotel only"]["waimai"] > 0.9 and table.rows["waimai only"]["hotel"] > 0.9
    assert off_diagonal_mean(table) > 0.9
    assert any("hotel only" in line for line in table.lines())
