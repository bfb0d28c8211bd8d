"""Baskets as text: one basket a line, items comma-separated.

The Spark engine reads the same files itself (`tools.marketing.rules.spark`), so the parsing rules are stated
once here and mirrored there: items are stripped of `STRIP` characters, empty items dropped, an item repeated in
a basket counted once (first position kept), and a line with no item is not a basket.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

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
    try:
        # universal newlines: "\n", "\r\n" and a lone "\r" end a line, as in Spark's (Hadoop's) line reader
        with path.open(encoding="utf-8") as fh:
            baskets = list(iter_baskets(fh))
    except FileNotFoundError as exc:
        raise RulesError(f"no such baskets file: {path}") from exc
    except IsADirectoryError as exc:
        raise RulesError(f"{path} is a folder; give a file with one basket a line") from exc
    except UnicodeDecodeError as exc:
        raise RulesError(f"{path} is not UTF-8 text (byte {exc.start})") from exc
    if not baskets:
        raise RulesError(f"{path} holds no basket (one basket a line, items comma-separated)")
    return baskets
