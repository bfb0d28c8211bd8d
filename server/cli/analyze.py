"""`kefu analyze`: language, sentiment, emotion and need tags of each text, one JSON line out per text in.

Input: files or folders (`-` or nothing: standard input) of JSON lines (`{"text", "id"?, "language"?, "label"?}`),
CSV (a `text`, `review`, `sentence` or `content` column; `id`, `language`, `label` optional) or tab-separated
`text<TAB>label` lines (`.tsv`, `.txt`: the UCI and SST sentiment files). A folder means its files of those
kinds. Output goes to standard output as each text is read, in input order; a text that cannot be read gives an
`{"error"}` line in its place, so the output still lines up with the input. A progress bar is drawn on standard
error when it is a terminal, never into a pipe or a log.

Where texts carry a sentiment label (1/0, positive/negative), the accuracy is printed on standard error at the
end, per file; for the shared sentiment sets also on their held-out parts (the texts no model was trained on).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

TEXT_COLUMNS = ("text", "review", "sentence", "content")
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".tsv": "tsv", ".txt": "tsv"}
HELD_OUT = " (held-out part)"
_GOLD = {"1": 1, "0": 0, "positive": 1, "negative": 0, "pos": 1, "neg": 0}


class InputError(ValueError):
    """An input the command cannot read at all (a missing file, an unknown kind): shown as `error: …`, exit 2."""


@dataclass(frozen=True, slots=True)
class Record:
    source: str  # the file (or "-"), for the per-file accuracy
    line: int
    text: str | None
    id: Any = None
    language: str | None = None
    gold: int | None = None
    error: str | None = None


def _record(source: str, line: int, raw: dict[str, Any]) -> Record:
    text = next((raw[c] for c in TEXT_COLUMNS if isinstance(raw.get(c), str) and raw[c].strip()), None)
    if text is None:
        return Record(source, line, None, raw.get("id"), error=f"no text (a {'/'.join(TEXT_COLUMNS)} field)")
    language = raw.get("language") if raw.get("language") in ("zh", "en") else None
    gold = _GOLD.get(str(raw.get("label", "")).strip().lower())
    return Record(source, line, text.strip(), raw.get("id"), language, gold)


def read_stream(fh: TextIO, source: str, kind: str) -> Iterator[Record]:
    """Records of one stream of `kind` (jsonl, csv, tsv), lazily."""
    if kind == "csv":
        for n, row in enumerate(csv.DictReader(fh), 2):
            yield _record(source, n, {k.strip().lower(): v for k, v in row.items() if isinstance(k, str)})
        return
    for n, line in enumerate(fh, 1):
        if not line.strip():
            continue
        if kind == "tsv":
            text, tab, label = line.rstrip("\n").rpartition("\t")
            if not tab:
                text, label = label, ""
            if n == 1 and label.strip().lower() == "label":
                continue  # the SST header
            yield _record(source, n, {"text": text, "label": label})
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Record(source, n, None, error=f"not JSON: {exc.msg} at column {exc.colno}")
            continue
        yield _record(source, n, raw) if isinstance(raw, dict) else Record(source, n, None,
                                                                           error="not a JSON object")


def input_files(paths: list[Path]) -> list[Path]:
    """The files to read, folders expanded to their files of known kinds (sorted); unknown paths are an error."""
    files = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES
                           and p.name.lower() not in ("readme.txt",))
            if not found:
                raise InputError(f"{path} holds no JSON lines, CSV or TSV file")
            files += found
        elif path.is_file():
            if path.suffix.lower() not in SUFFIXES:
                raise InputError(f"{path}: unknown kind (expected {', '.join(sorted(SUFFIXES))})")
            files.append(path)
        else:
            raise InputError(f"{path} not found")
    return files


def _stdin_records(fmt: str | None) -> Iterator[Record]:
    stream = sys.stdin
    if fmt is None:
        head = stream.read(1)
        while head.isspace():
            head = stream.read(1)
        stream = _Prefixed(head, stream)
        fmt = "jsonl" if head == "{" else "csv"
    yield from read_stream(stream, "-", fmt)


class _Prefixed(io.TextIOBase):
    """Standard input with the character read to guess its format put back in front."""

    def __init__(self, head: str, rest: TextIO) -> None:
        self.head, self.rest = head, rest

    def readline(self, size: int | None = -1) -> str:
        line, self.head = self.head + self.rest.readline(), ""
        return line

    def __iter__(self) -> Iterator[str]:
        while line := self.readline():
            yield line

    def read(self, size: int | None = -1) -> str:
        text, self.head = self.head + self.rest.read(), ""
        return text


@dataclass
class Tally:
    """Right and total per file, and on the held-out parts of the shared sentiment sets."""

    right: dict[str, int] = field(default_factory=dict)
    total: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, ok: bool) -> None:
        self.right[key] = self.right.get(key, 0) + ok
        self.total[key] = self.total.get(key, 0) + 1

    def lines(self) -> list[str]:
        return [f"accuracy {self.right[k] / n:.4f} ({self.right[k]}/{n}) {k}" for k, n in self.total.items()]

    def overall(self) -> list[str]:
        """All labelled texts, then all held-out parts (when there are any)."""
        out = []
        for name, part in (("all labelled texts", False), ("all held-out parts", True)):
            keys = [k for k in self.total if k.endswith(HELD_OUT) == part]
            right, n = sum(self.right[k] for k in keys), sum(self.total[k] for k in keys)
            if n:
                out.append(f"accuracy {right / n:.4f} ({right}/{n}) {name}")
        return out


def held_out_texts(files: list[Path]) -> dict[Path, set[str]]:
    """For files of the shared sentiment sets (`chinese_sentiment`, `english_sentiment`), the texts of their fixed
    held-out split (`agent.training.affect_data`): the models never saw them."""
    from agent.training.affect_data import FILE_SOURCES, load_sentiment, stratified_split

    out: dict[Path, set[str]] = {}
    for lang, folder in (("zh", "chinese_sentiment"), ("en", "english_sentiment")):
        mine = [f for f in files if f.parent.name == folder and f.name in FILE_SOURCES]
        if not mine:
            continue
        try:
            _, test = stratified_split(load_sentiment(mine[0].parent.parent, lang))
        except FileNotFoundError:
            continue  # a partial copy of the folder: no split to compare with
        for f in mine:
            out[f] = {r.text for r in test if r.source == FILE_SOURCES[f.name]}
    return out


def analyze(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (JSON lines, CSV, TSV); - or none: stdin.")
    ] = None,
    input_format: Annotated[str | None, typer.Option("--format", help="Standard input's format: jsonl or csv "
                                                     "(default: guessed from its first character).")] = None,
    fast: Annotated[bool, typer.Option(help="Skip the e5 refine stage (several times faster, a little less "
                                       "accurate).")] = False,
    judge: Annotated[bool, typer.Option(help="Ask the local LLM judge where English sentiment stays unsure "
                                        "(~0.5 s a sentence; needs `kefu llm install`).")] = False,
    text: Annotated[bool, typer.Option(help="Repeat each text in its output line.")] = False,
) -> None:
    """Per text: language, sentiment (label and probability), emotion, and need tags with the words that triggered
    them; JSON lines out, in input order. Prints the accuracy on standard error where texts carry labels."""
    from tqdm import tqdm

    from agent.affect import AffectModelError, TextAffect
    from server.settings import get_settings
    from tools.marketing.insight import shared_tagger
    from tools.marketing.insight.analysis import analyze_text

    sources = [p for p in paths or [] if str(p) != "-"]
    try:
        if input_format not in (None, "jsonl", "csv"):
            raise InputError("--format is jsonl or csv")
        files = input_files(sources)
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    use_stdin = not paths or any(str(p) == "-" for p in paths)
    sentiment_judge = None
    if judge:
        from server.infra.llm import local_sentiment_judge

        sentiment_judge = local_sentiment_judge(get_settings())
        if sentiment_judge is None:
            typer.echo("error: the LLM judge needs the local model (`kefu llm install`, `make llm`)", err=True)
            raise typer.Exit(2)
    reader = TextAffect(refine=not fast, judge=sentiment_judge)
    tagger = shared_tagger()
    held_out = held_out_texts(files)

    def records() -> Iterator[Record]:
        for f in files:
            with f.open(encoding="utf-8-sig", newline="" if SUFFIXES[f.suffix.lower()] == "csv" else None) as fh:
                yield from read_stream(fh, str(f), SUFFIXES[f.suffix.lower()])
        if use_stdin:
            yield from _stdin_records(input_format)

    tally, errors = Tally(), 0
    out = sys.stdout
    bar = tqdm(records(), desc="analyze", unit="text", file=sys.stderr, disable=not sys.stderr.isatty())
    try:
        for rec in bar:
            row: dict[str, Any] = {} if rec.id is None else {"id": rec.id}
            if rec.text is None:
                errors += 1
                row |= {"error": rec.error, "source": rec.source, "line": rec.line}
            else:
                insight = analyze_text(rec.text, reader, language=rec.language, tagger=tagger)
                row |= insight.as_dict() | ({"text": rec.text} if text else {})
                if rec.gold is not None:
                    ok = int(insight.positive >= 0.5) == rec.gold
                    tally.add(rec.source, ok)
                    test = held_out.get(Path(rec.source))
                    if test is not None and rec.text in test:
                        tally.add(rec.source + HELD_OUT, ok)
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
    except AffectModelError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except UnicodeDecodeError as exc:
        typer.echo(f"error: input is not UTF-8 text ({exc.reason})", err=True)
        raise typer.Exit(2) from exc
    finally:
        bar.close()
    if tally.total:
        for line in [*tally.lines(), *tally.overall()]:
            typer.echo(line, err=True)
    if errors:
        typer.echo(f"{errors} input line(s) could not be read (see their error lines)", err=True)
        raise typer.Exit(1)
