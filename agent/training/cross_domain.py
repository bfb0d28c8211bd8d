"""Cross-domain sentiment: train on one source, test on another (`kefu eval cross-domain`).

The shipped models score ~90% on the held-out parts of the sources they were trained on; a shop's own reviews and
messages are none of those sources. This measures how the first (fast) stage holds when the domain changes:
trained on each source's training part alone, on every source but the one tested ("other sources": the
closest measure of an unseen domain), and on all of them (what ships), always tested on the fixed held-out parts
(`agent.training.affect_data`), beside the lexicon baseline (snownlp, VADER), which was trained on none of them.
The same seed gives the same table.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agent.affect.model import SentimentModel, save_npz
from agent.training.affect import _no_progress, fit_sentiment
from agent.training.affect_data import default_data_dir, load_sentiment, stratified_split
from agent.training.affect_eval import _baseline_sentiment, accuracy

SOURCES = {"zh": ("hotel", "waimai"), "en": ("yelp", "imdb", "sst2")}


@dataclass(frozen=True, slots=True)
class CrossDomainTable:
    language: str
    sources: tuple[str, ...]
    rows: dict[str, dict[str, float]]  # trained on (a source, "other sources", "all sources", baseline) → test → acc
    n_test: dict[str, int]

    def lines(self) -> list[str]:
        head = f"{self.language} train \\ test".ljust(24) + "".join(f"{s:>10}" for s in self.sources)
        out = [head, "-" * len(head)]
        for name, accs in self.rows.items():
            out.append(name.ljust(24) + "".join(f"{100 * accs[s]:9.1f}%" if s in accs else f"{'':>10}"
                                                for s in self.sources))
        out.append("n (held-out)".ljust(24) + "".join(f"{self.n_test[s]:>10}" for s in self.sources))
        return out


def _fast_model(train: list, language: str, seed: int, balance: bool) -> SentimentModel:
    """The first stage as `kefu train affect` fits it (n-grams, stacked with VADER in English), loaded back
    through the shipped file format so inference is the served one."""
    fit = fit_sentiment(train, language, seed, refine=False, progress=_no_progress, balance=balance)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"affect_{language}.npz"
        save_npz(path, fit.arrays)
        return SentimentModel.load(path)


def _accuracy(model: SentimentModel, test: list, vader: object) -> float:
    gold = [int(r.label) for r in test]
    pred = []
    for r in test:
        v = vader.polarity_scores(r.text) if model.uses_vader else None  # type: ignore[attr-defined]
        pred.append(int(model.fast_probability(model.stack_inputs(r.text, v)) > 0.5))
    return accuracy(gold, pred)


def cross_domain(language: str, data_dir: Path | None = None, *, seed: int = 7, balance: bool = False,
                 baseline: bool = True) -> CrossDomainTable:
    """The table for `language`; `balance` weighs each (source, label) group alike (`source_balance`)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    train, test = stratified_split(load_sentiment(data_dir or default_data_dir(), language))
    sources = SOURCES[language]
    tests = {s: [r for r in test if r.source == s] for s in sources}
    trains = {s: [r for r in train if r.source == s] for s in sources}
    rows: dict[str, dict[str, float]] = {}
    for a in sources:
        model = _fast_model(trains[a], language, seed, balance)
        rows[f"{a} only"] = {b: _accuracy(model, tests[b], vader) for b in sources}
    rows["other sources"] = {}
    for b in sources:
        model = _fast_model([r for s in sources if s != b for r in trains[s]], language, seed, balance)
        rows["other sources"][b] = _accuracy(model, tests[b], vader)
    model = _fast_model(train, language, seed, balance)
    rows["all sources (shipped)"] = {b: _accuracy(model, tests[b], vader) for b in sources}
    if baseline:
        base = _baseline_sentiment(language)
        rows["snownlp" if language == "zh" else "vader"] = {
            b: accuracy([int(r.label) for r in tests[b]], [base(r.text) for r in tests[b]]) for b in sources}
    return CrossDomainTable(language, sources, rows, {s: len(tests[s]) for s in sources})


def e5_cross_domain(language: str, data_dir: Path | None = None, *, seed: int = 7, train_n: int = 800,
                    test_n: int = 500, c: float = 1.0) -> CrossDomainTable:
    """The same table for a class-balanced linear probe on the bundled e5 embedding alone (the refine stage's
    features), on a seeded sample of `train_n` training and `test_n` held-out texts per source (e5 costs ~0.1 s a
    review here; vectors are cached under var/cache, so a second run is quick)."""
    import random

    from agent.affect.model import e5_cut
    from agent.training.affect import E5_MAX_CHARS, _lr
    from agent.training.e5_embed import e5_embed

    train, test = stratified_split(load_sentiment(data_dir or default_data_dir(), language))
    sources = SOURCES[language]
    rng = random.Random(seed)
    trains = {s: rng.sample(pool, min(train_n, len(pool))) for s in sources
              if (pool := [r for r in train if r.source == s])}
    tests = {s: rng.sample(pool, min(test_n, len(pool))) for s in sources
             if (pool := [r for r in test if r.source == s])}

    def embed(rows: list) -> np.ndarray:
        return e5_embed([e5_cut(r.text, E5_MAX_CHARS[language]) for r in rows], _no_progress, workers=2)

    x_train = {s: embed(rows) for s, rows in trains.items()}
    x_test = {s: embed(rows) for s, rows in tests.items()}
    y_test = {s: np.array([int(r.label) for r in rows]) for s, rows in tests.items()}

    def probe(names: list[str]) -> Any:
        x = np.vstack([x_train[s] for s in names])
        y = np.concatenate([[int(r.label) for r in trains[s]] for s in names])
        return _lr(c, class_weight="balanced").fit(x, y)

    def acc(model: Any, b: str) -> float:
        return float(np.mean(model.predict(x_test[b]) == y_test[b]))

    rows: dict[str, dict[str, float]] = {}
    for a in sources:
        model = probe([a])
        rows[f"{a} only"] = {b: acc(model, b) for b in sources}
    rows["other sources"] = {b: acc(probe([s for s in sources if s != b]), b) for b in sources}
    model = probe(list(sources))
    rows["all sources"] = {b: acc(model, b) for b in sources}
    return CrossDomainTable(language, sources, rows, {s: len(tests[s]) for s in sources})


def off_diagonal_mean(table: CrossDomainTable) -> float:
    """Mean accuracy of the single-source models on the sources they were not trained on."""
    accs = [acc for name, row in table.rows.items() if name.endswith(" only")
            for b, acc in row.items() if not name.startswith(b + " ")]
    return float(np.mean(accs)) if accs else 0.0
