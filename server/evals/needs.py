"""`kefu eval needs`: precision and recall of each need tag (`tools.marketing.insight.needs`) on our labelled set.

`data/needs.jsonl` holds one labelled text a line, in zh and en: sentences we wrote (reviews and chat messages
of a shop, a takeaway, a hotel), and texts of the shared sentiment sets' training parts (never their held-out
parts), which the file names by reference (file, row, a hash of the text) because their sources state no
licence. Each entry lists every tag a careful reader gives it (none: a text that shows no need), and a split:
`dev` entries may be read while editing the lexicon, `test` entries are only ever scored.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from tools.marketing.insight import NeedTagger, shared_tagger

LABELS_FILE = Path(__file__).parent / "data" / "needs.jsonl"


class TextRef(BaseModel):
    """A text of a shared data set: its file under the data folder, its row among the data rows, its hash."""

    model_config = ConfigDict(extra="forbid")
    file: str
    row: int = Field(ge=0)
    sha1: str = Field(min_length=8)


class NeedLabel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    language: str = Field(pattern="^(zh|en)$")
    text: str | None = None
    ref: TextRef | None = None
    tags: list[str]
    split: str = Field(pattern="^(dev|test)$")


@dataclass(frozen=True, slots=True)
class LabelledText:
    id: str
    language: str
    text: str
    tags: frozenset[str]
    split: str


@dataclass(frozen=True, slots=True)
class TagScore:
    tag: str
    support: int  # texts labelled with the tag
    predicted: int  # texts the tagger gave it
    hits: int  # both

    @property
    def precision(self) -> float | None:
        return self.hits / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.hits / self.support if self.support else None

    @property
    def f1(self) -> float | None:
        total = self.support + self.predicted
        return 2 * self.hits / total if total else None


@dataclass(frozen=True, slots=True)
class NeedsReport:
    n: int
    scores: list[TagScore]  # one a tag, then "micro" (all tags pooled)
    exact: float  # share of texts whose whole tag set is right
    skipped: str | None = None  # referenced texts that could not be read (their data set is missing)


def _data_rows(path: Path) -> list[str]:
    """The texts of a shared sentiment file, in row order (the loaders of `agent.training.affect_data`)."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return [(rec.get("review") or "").strip() for rec in csv.DictReader(fh)]
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.rpartition("\t")[0].strip() for line in (lines[1:] if path.suffix == ".tsv" else lines)]


def load_labels(data_dir: Path | None, path: Path = LABELS_FILE) -> tuple[list[LabelledText], str | None]:
    """The labelled texts; referenced ones are read from `data_dir` (left out, with the reason, when absent).
    A reference whose text no longer hashes the same is an error: the label would describe another text."""
    labels = [NeedLabel.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    files: dict[str, list[str]] = {}
    missing: set[str] = set()
    out = []
    for lab in labels:
        text = lab.text
        if lab.ref is not None:
            source = data_dir / lab.ref.file if data_dir else None
            if source is None or not source.is_file():
                missing.add(lab.ref.file)
                continue
            rows = files.setdefault(lab.ref.file, _data_rows(source))
            text = rows[lab.ref.row] if lab.ref.row < len(rows) else ""
            if hashlib.sha1(text.encode()).hexdigest()[: len(lab.ref.sha1)] != lab.ref.sha1:
                raise ValueError(f"{path}: {lab.id} no longer points at the labelled text of {lab.ref.file}")
        if not text:
            raise ValueError(f"{path}: {lab.id} has neither a text nor a reference")
        out.append(LabelledText(lab.id, lab.language, text, frozenset(lab.tags), lab.split))
    skipped = f"data sets not found: {', '.join(sorted(missing))}" if missing else None
    return out, skipped


def score(items: Sequence[LabelledText], tagger: NeedTagger) -> NeedsReport:
    predicted = [frozenset(t.tag for t in tagger.tag(x.text, x.language)) for x in items]
    scores = []
    for tag in tagger.tags:
        gold = [tag in x.tags for x in items]
        pred = [tag in p for p in predicted]
        scores.append(TagScore(tag, sum(gold), sum(pred), sum(g and p for g, p in zip(gold, pred, strict=True))))
    scores.append(TagScore("micro", sum(s.support for s in scores), sum(s.predicted for s in scores),
                           sum(s.hits for s in scores)))
    exact = sum(p == x.tags for p, x in zip(predicted, items, strict=True)) / max(1, len(items))
    return NeedsReport(len(items), scores, exact)


def evaluate_needs(data_dir: Path | None, *, tagger: NeedTagger | None = None,
                   path: Path = LABELS_FILE) -> dict[str, NeedsReport]:
    """Per part: "all", "test", "dev", "zh", "en"."""
    items, skipped = load_labels(data_dir, path)
    tagger = tagger or shared_tagger()
    parts = {"all": items, "test": [x for x in items if x.split == "test"],
             "dev": [x for x in items if x.split == "dev"],
             "zh": [x for x in items if x.language == "zh"], "en": [x for x in items if x.language == "en"]}
    out = {}
    for name, part in parts.items():
        r = score(part, tagger)
        out[name] = NeedsReport(r.n, r.scores, r.exact, skipped)
    return out


def _pct(v: float | None) -> str:
    return f"{100 * v:5.1f}%" if v is not None else "    — "


def needs_lines(reports: dict[str, NeedsReport], *, parts: Sequence[str] = ("all",)) -> list[str]:
    """Per tag: support, precision, recall, F1, for each of `parts`."""
    lines = []
    for part in parts:
        r = reports[part]
        lines.append(f"need tags ({part}: {r.n} labelled texts, whole tag set right on {_pct(r.exact).strip()})"
                     + (f" [{r.skipped}]" if r.skipped else ""))
        lines.append(f"  {'tag':<12} {'support':>7} {'precision':>9} {'recall':>7} {'F1':>7}")
        for s in r.scores:
            lines.append(f"  {s.tag:<12} {s.support:>7} {_pct(s.precision):>9} {_pct(s.recall):>7} {_pct(s.f1):>7}")
    return lines
