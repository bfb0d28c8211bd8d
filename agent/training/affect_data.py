"""Affect data: the public sentiment corpora, the labelled customer-service emotions, and fixed splits.

The held-out test splits are fixed (their own seed, independent of the training seed) and stratified by
source and label, so every run, every training seed and the lead's `kefu eval` measure the same items;
nothing is ever tuned on them.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SPLIT_SEED = 20240611
TEST_FRACTION = 0.2
EMOTIONS_FILE = Path(__file__).resolve().parent.parent / "data" / "emotions.jsonl"
EMOTION_LABELS = ("anger", "anxiety", "disappointment", "neutral", "satisfaction")
# Each shared sentiment file's source name (the `Example.source` of its texts).
FILE_SOURCES = {"ChnSentiCorp_htl_all.csv": "hotel", "waimai_10k.csv": "waimai", "yelp_labelled.txt": "yelp",
                "imdb_labelled.txt": "imdb", "sst2_glue_validation.tsv": "sst2"}


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: int | str
    source: str
    language: str


def default_data_dir() -> Path:
    """`KEFU_DATA_DIR`, else `../shared/data` beside the repository (where CI and developers have it)."""
    env = os.environ.get("KEFU_DATA_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _need(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"sentiment data file {path} not found (set --data-dir or KEFU_DATA_DIR)")
    return path


def load_chinese(data_dir: Path) -> list[Example]:
    """ChnSentiCorp hotel + waimai reviews (label 1 positive, 0 negative)."""
    rows: list[Example] = []
    for name, source in (("ChnSentiCorp_htl_all.csv", "hotel"), ("waimai_10k.csv", "waimai")):
        with _need(data_dir / "chinese_sentiment" / name).open(encoding="utf-8-sig", newline="") as fh:
            for rec in csv.DictReader(fh):
                text = (rec.get("review") or "").strip()
                if text and rec.get("label") in ("0", "1"):
                    rows.append(Example(text, int(rec["label"]), source, "zh"))
    return _dedupe(rows)


def load_english(data_dir: Path) -> list[Example]:
    """UCI Yelp and IMDB sentences and the SST-2 validation set (label 1 positive, 0 negative)."""
    rows: list[Example] = []
    folder = data_dir / "english_sentiment"
    for name, source, header in (("yelp_labelled.txt", "yelp", False), ("imdb_labelled.txt", "imdb", False),
                                 ("sst2_glue_validation.tsv", "sst2", True)):
        lines = _need(folder / name).read_text(encoding="utf-8").splitlines()
        for line in lines[1:] if header else lines:
            text, _, label = line.rpartition("\t")
            if text.strip() and label.strip() in ("0", "1"):
                rows.append(Example(text.strip(), int(label), source, "en"))
    return _dedupe(rows)


def load_sentiment(data_dir: Path, language: str) -> list[Example]:
    return load_chinese(data_dir) if language == "zh" else load_english(data_dir)


def _dedupe(rows: list[Example]) -> list[Example]:
    """Drop repeated texts (a duplicate across train and test would flatter the model), and texts
    labelled both ways."""
    labels: dict[str, set[int | str]] = {}
    for r in rows:
        labels.setdefault(r.text, set()).add(r.label)
    seen: set[str] = set()
    out = []
    for r in rows:
        if r.text not in seen and len(labels[r.text]) == 1:
            out.append(r)
        seen.add(r.text)
    return out


def load_emotions(path: Path = EMOTIONS_FILE) -> list[Example]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            rec = json.loads(line)
            if rec.get("label") not in EMOTION_LABELS or rec.get("language") not in ("zh", "en"):
                raise ValueError(f"{path}:{n}: bad label or language")
            rows.append(Example(rec["text"], rec["label"], ",".join(rec.get("tags", [])), rec["language"]))
    return rows


def stratified_split(
    rows: list[Example], test_fraction: float = TEST_FRACTION, seed: int = SPLIT_SEED
) -> tuple[list[Example], list[Example]]:
    """Seeded split keeping each (source, language, label) group's share in both parts; order preserved."""
    rng = np.random.Generator(np.random.PCG64(seed))
    groups: dict[tuple[str, str, str], list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault((r.source if isinstance(r.label, int) else "", r.language, str(r.label)), []).append(i)
    test: set[int] = set()
    for key in sorted(groups):
        members = np.asarray(groups[key])
        k = round(len(members) * test_fraction)
        test.update(int(i) for i in rng.permutation(members)[:k])
    return [r for i, r in enumerate(rows) if i not in test], [r for i, r in enumerate(rows) if i in test]


def budgeted(rows: list[Example], budget: int | None, seed: int = SPLIT_SEED) -> list[Example]:
    """Exactly `budget` rows (or all), drawn by the same stratified rule (for a quick evaluation)."""
    if budget is None or budget >= len(rows):
        return rows
    _, part = stratified_split(rows, budget / len(rows), seed + 1)
    if len(part) < budget:  # per-group rounding fell short: top up in order
        chosen = {id(r) for r in part}
        part += [r for r in rows if id(r) not in chosen][: budget - len(part)]
    return part[:budget]
