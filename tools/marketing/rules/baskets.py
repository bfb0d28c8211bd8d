"""Baskets as text: one basket a line, items comma-separated.

The Spark engine reads the same files itself (`tools.marketing.rules.spark`), so the parsing rules are stated
once here and mirrored there: items are stripped of `STRIP` characters, empty items dropped, an item repeated in
a basket counted once (first position kept), and a line with no item is not a basket.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from tools.marketing.rules.errors import RulesError

# Whitespace and a byte-order mark; the Spark reader strips the same set (`SPARK_STRIP_REGEX`).
STRIP = " \t\r\n\f\v\ufeff"
SPARK_STRIP_REGEX = r"^[ \t\r\n\f\x0B\uFEFF]+|[ \t\r\n\f\x0B\uFEFF]+$"


def parse_basket(line: str) -> list[str]:
    """The distinct items of one line, in first-seen order."""
    seen: dict[str, None] = {}
    for raw in line.split(","):
        item = raw.strip(STRIP)
        if item:
            seen.setdefault(item, None)
    return list(seen)


def iter_baskets(lines: Iterable[str]) -> Iterator[list[str]]:
    for line in lines:
        basket = parse_basket(line)
        if basket:
            yield basket


def read_baskets(path: Path) -> list[list[str]]:
    """All baskets of a UTF-8 file; a `RulesError` if it is missing, unreadable or holds no basket."""
    with _opened(path) as fh:
        baskets = list(iter_baskets(fh))
    if not baskets:
        raise RulesError(f"{path} holds no basket (one basket a line, items comma-separated)")
    return baskets


def read_weighted_baskets(path: Path) -> Counter[tuple[str, ...]]:
    """The baskets of a file as {basket: how many lines hold it}: what the local engine mines.

    Identical lines are counted before any is parsed, so a file with repeats (one-item orders of best sellers,
    a resampled data set) is read at the speed of hashing its lines.
    """
    weighted: Counter[tuple[str, ...]] = Counter()
    with _opened(path) as fh:
        lines = Counter(fh)
    for line, k in lines.items():
        basket = parse_basket(line)
        if basket:
            weighted[tuple(basket)] += k
    if not weighted:
        raise RulesError(f"{path} holds no basket (one basket a line, items comma-separated)")
    return weighted


@contextmanager
def _opened(path: Path) -> Iterator[TextIO]:
    """`path` as UTF-8 text with universal newlines ("\\n", "\\r\\n" and a lone "\\r" end a line, as in Spark's
    (Hadoop's) line reader); opening and decoding errors become `RulesError`s."""
    try:
        with path.open(encoding="utf-8") as fh:
            yield fh
    except FileNotFoundError as exc:
        raise RulesError(f"no such baskets file: {path}") from exc
    except IsADirectoryError as exc:
        raise RulesError(f"{path} is a folder; give a file with one basket a line") from exc
    except UnicodeDecodeError as exc:
        raise RulesError(f"{path} is not UTF-8 text (byte {exc.start})") from exc
