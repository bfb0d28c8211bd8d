"""The rule file the service loads: one JSON document per rule set, the same from either engine.

`var/models/rules/<name>.json` by default (the CLI's `--out` moves it). It is also exactly what
`kefu rules mine --format json` prints, so a script and the service read one format. Written atomically (a
temporary file renamed over the old one), so a service reading it never sees half a file.
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from tools.marketing.rules.errors import RulesError
from tools.marketing.rules.mining import MiningResult

FORMAT_VERSION = 1
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ItemsetOut(BaseModel):
    items: list[str]
    support: float


class RuleOut(BaseModel):
    antecedent: list[str]
    consequent: list[str]
    support: float
    confidence: float
    lift: float


class RuleSet(BaseModel):
    """A mined rule set with what it was mined from and how."""

    format: Literal[1] = FORMAT_VERSION
    name: str
    engine: Literal["local", "spark"]
    by: Literal["item", "product", "category"] = Field(
        description="what an item is: a name from a baskets file, a product id or a category key"
    )
    source: str = Field(description="the baskets file, or `orders` for the store's own orders")
    min_support: float
    min_confidence: float
    min_count: int
    n_baskets: int
    n_items: int
    created_at: datetime
    itemsets: list[ItemsetOut]
    rules: list[RuleOut]

    @classmethod
    def from_result(cls, result: MiningResult, *, name: str, by: str, source: str) -> RuleSet:
        return cls(
            name=name,
            engine=result.engine,  # type: ignore[arg-type]
            by=by,  # type: ignore[arg-type]
            source=source,
            min_support=result.min_support,
            min_confidence=result.min_confidence,
            min_count=result.min_count,
            n_baskets=result.n_baskets,
            n_items=result.n_items,
            created_at=datetime.now(UTC).replace(microsecond=0),
            itemsets=[ItemsetOut(items=list(s.items), support=s.support) for s in result.itemsets],
            rules=[
                RuleOut(
                    antecedent=list(r.antecedent),
                    consequent=list(r.consequent),
                    support=r.support,
                    confidence=r.confidence,
                    lift=r.lift,
                )
                for r in result.rules
            ],
        )


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise RulesError(f"rule set name {name!r}: use letters, digits, '.', '_' or '-' (at most 64)")
    return name


def rules_path(rules_dir: Path, name: str) -> Path:
    return rules_dir / f"{check_name(name)}.json"


def save_rules(rule_set: RuleSet, path: Path) -> Path:
    """Write `rule_set` to `path` atomically (folders created); returns the path."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise RulesError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(rule_set.model_dump_json())
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_rules(path: Path) -> RuleSet:
    """Read a rule file; a `RulesError` if it is missing or not a rule set of this format."""
    try:
        return RuleSet.model_validate_json(path.read_bytes())
    except FileNotFoundError as exc:
        raise RulesError(f"no rule file at {path}; run `kefu rules mine` first") from exc
    except ValidationError as exc:
        raise RulesError(f"{path} is not a Kefu rule file: {exc.errors()[0]['msg']}") from exc


def rule_files(rules_dir: Path) -> list[Path]:
    """The rule files in `rules_dir` (`<name>.json` with a valid name), by name; none when it does not exist."""
    try:
        paths = [p for p in rules_dir.iterdir() if p.suffix == ".json" and NAME_PATTERN.match(p.stem)]
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        raise RulesError(f"cannot read {rules_dir}: {exc.strerror or exc}") from exc
    return sorted((p for p in paths if p.is_file()), key=lambda p: p.stem)
