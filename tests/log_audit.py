"""The log audit: finds secrets and personal data in the log files a test run wrote.

Independent of the masker (`server.infra.logs`) on purpose: its own broad patterns (mainland mobiles with or
without +86, spaces or dashes; emails; Kefu tokens; `Bearer` and `token=` values; zh and en street
addresses) plus the literal contact details the tests and the demo store use (the fake store's contacts, the
demo customers' emails, phones and addresses for the seeds the tests build, the test identity secret and
the signatures made with it). A hit is reported with its file and line, the secret itself cut short.

`tests/plugin.py` runs it over the run's log folder when the session ends; `python -m tests.log_audit DIR`
runs it again on its own (`make test` does, so that a run whose plugin did not capture anything fails too).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

IN_PROCESS = "inprocess.log"  # the file of the test process's own log lines
START_LINE = "kefu test run: log capture started"  # its first line: the capture ran

_CJK = r"\u4e00-\u9fff"
_STREET_EN = r"(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Boulevard|Blvd|Drive|Dr|Way|Highway|Hwy)"

# kind: (pattern, needles): a line is searched only if its lower-cased text holds one of the needles (speed).
PATTERNS: dict[str, tuple[re.Pattern[str], tuple[str, ...]]] = {
    "phone": (re.compile(r"(?<![0-9A-Za-z])(?:\+?86[\s-]*)?1[3-9]\d(?:[\s-]*\d){8}(?!\d)"), ()),
    "masked phone": (re.compile(r"(?<!\d)1[3-9]\d\*{4}\d{4}(?!\d)"), ("****",)),
    "email": (re.compile(r"[A-Za-z0-9._%+*-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"), ("@",)),
    "kefu token": (re.compile(r"\bkefu_[a-z]{2}_[A-Za-z0-9_-]{16,}"), ("kefu_",)),
    "bearer value": (re.compile(r"(?i)\bbearer\s+(?!<)[A-Za-z0-9._~+/=-]{8,}"), ("bearer",)),
    "token= value": (re.compile(r"(?i)\b(?:access_)?token=(?!<)[^&\s\"'<>]{6,}"), ("token=",)),
    "token field": (re.compile(r"(?i)[\"']token[\"']\s*:\s*[\"'](?!<)[^\"']{6,}[\"']"), ("token",)),
    "customer_sig value": (re.compile(r"(?i)customer_sig[\"']?\s*[:=]\s*[\"']?[0-9a-f]{16,}"), ("customer_sig",)),
    "zh address": (re.compile(rf"[{_CJK}]{{2,}}(?:路|街|大道|巷|弄)\s*\d{{1,5}}\s*号"), ("号",)),
    "zh region address": (re.compile(rf"[{_CJK}]{{2,}}(?:省|市)[{_CJK}]{{1,6}}(?:区|县)[{_CJK}]{{2,}}(?:路|街|大道)"),
                          ("路", "街", "大道")),
    "en address": (re.compile(rf"\b\d{{1,5}}\s+(?:[A-Z][A-Za-z'-]*\s+){{1,3}}{_STREET_EN}\b"), ()),
}

# Passwords and keys the tests sign in or open conversations with (tests/server/console_support.py,
# tests/e2e/test_console.py, tests/security/test_identity.py): no log line may hold them either.
TEST_CREDENTIALS = ("correct horse battery", "console e2e password", "claim test password", "store-backend-key-123")

# Demo stores the tests build (seeds and the largest customer count any of them uses, with room to spare).
DEMO_SEEDS = range(0, 10)
DEMO_CUSTOMERS = 200


@dataclass(frozen=True, slots=True)
class Hit:
    path: Path
    line_no: int
    kind: str
    line: str
    start: int
    end: int

    def shown(self) -> str:
        """The line with the secret cut to its first characters, so the report does not leak it again."""
        secret = self.line[self.start:self.end]
        cut = f"[{self.kind}: {secret[:3]}…({len(secret)} chars)]"
        text = (self.line[:self.start] + cut + self.line[self.end:]).rstrip("\n")
        return text if len(text) <= 300 else text[: 300] + "…"

    def __str__(self) -> str:
        return f"{self.path}:{self.line_no}: {self.kind}: {self.shown()}"


class Literals:
    """Finds any of many literal strings (each at least `MIN` characters) in a line. Every `KEY`-character
    piece of every literal is indexed, so only every `MIN - KEY + 1`th place of a line needs a look-up (a
    regex alternation of thousands of literals is much slower)."""

    KEY, MIN = 6, 11

    def __init__(self, words: Iterable[str]) -> None:
        self.index: dict[str, list[tuple[str, int]]] = {}
        for word in {w for w in words if len(w) >= self.MIN}:
            for offset in range(len(word) - self.KEY + 1):
                self.index.setdefault(word[offset : offset + self.KEY], []).append((word, offset))

    def find(self, line: str) -> list[tuple[int, int]]:
        found = set()
        for i in range(0, len(line) - self.KEY + 1, self.MIN - self.KEY + 1):
            for word, offset in self.index.get(line[i : i + self.KEY], ()):
                start = i - offset
                if start >= 0 and line.startswith(word, start):
                    found.add((start, start + len(word)))
        return sorted(found)


def _demo_literals() -> Iterator[str]:
    import random

    from server.demo.generate import _people

    for seed in DEMO_SEEDS:
        for _, person in _people(random.Random(f"kefu-demo:{seed}:people"), DEMO_CUSTOMERS):
            yield from (person.email, person.phone, person.address)
            if person.language == "zh":  # 上海市浦东新区世纪大道123号**栋**室 → 世纪大道123号
                yield person.address.removeprefix(person.city.zh).removeprefix(person.district[0]).split("号")[0] + "号"
            else:  # Room ***, No. 123 Century Ave, Pudong New Area, Shanghai → 123 Century Ave
                yield person.address.split("No. ", 1)[-1].split(",", 1)[0]


def _test_literals() -> Iterator[str]:
    from tests.fakes.commerce import MemoryOrders
    from tests.services import TEST_IDENTITY_SECRET, customer_sig

    for phone, email in MemoryOrders.CONTACTS.values():
        yield from (phone, email)
    yield TEST_IDENTITY_SECRET
    yield from TEST_CREDENTIALS
    for n in range(1, DEMO_CUSTOMERS + 1):
        yield customer_sig(f"C{n:05d}")


@cache
def known_secrets() -> Literals:
    """The literal secrets of the tests and the demo stores."""
    return Literals([*_demo_literals(), *_test_literals()])


def scan_line(line: str, path: Path = Path("-"), line_no: int = 0) -> list[Hit]:
    """Every leak in `line`, one hit per place (the first kind that found it)."""
    hits: list[Hit] = []
    lowered = line.lower()
    for kind, (pattern, needles) in PATTERNS.items():
        if not needles or any(n in lowered for n in needles):
            hits += [Hit(path, line_no, kind, line, m.start(), m.end()) for m in pattern.finditer(line)]
    hits += [Hit(path, line_no, "known secret", line, a, b) for a, b in known_secrets().find(line)]
    distinct: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
        if not distinct or hit.start >= distinct[-1].end:
            distinct.append(hit)
    return distinct


def scan_file(path: Path) -> Iterator[Hit]:
    with path.open(encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, start=1):
            yield from scan_line(line, path, n)


@dataclass(frozen=True, slots=True)
class Audit:
    files: list[Path]
    hits: list[Hit]
    problems: list[str]  # the audit could not do its job (no files, no capture marker)

    @property
    def ok(self) -> bool:
        return not self.hits and not self.problems

    def report(self, limit: int = 50) -> str:
        lines = [f"log audit: {len(self.files)} files, {len(self.hits)} leaks"]
        lines += [f"  setup: {p}" for p in self.problems]
        lines += [f"  {hit}" for hit in self.hits[:limit]]
        if len(self.hits) > limit:
            lines.append(f"  … and {len(self.hits) - limit} more")
        return "\n".join(lines)


def audit(run_dir: Path, must_contain: dict[str, str] | None = None) -> Audit:
    """Scan every file under `run_dir`. `must_contain` maps a file name to a line it must hold (the capture's
    start marker): a run whose logs are missing has not been audited, so it does not pass."""
    files = sorted(p for p in run_dir.rglob("*") if p.is_file()) if run_dir.is_dir() else []
    problems = [] if files else [f"no log files in {run_dir}: the test run's logging was not captured"]
    for name, marker in (must_contain or {}).items():
        path = run_dir / name
        if not path.is_file() or marker not in path.read_text(encoding="utf-8", errors="replace"):
            problems.append(f"{path} lacks its start line {marker!r}: the in-process log capture did not run")
    hits = [hit for path in files for hit in scan_file(path)]
    return Audit(files, hits, problems)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.log_audit RUN_DIR", file=sys.stderr)
        return 2
    result = audit(Path(argv[0]), must_contain={IN_PROCESS: START_LINE})
    print(result.report(limit=1000))
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
