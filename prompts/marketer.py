"""The marketer's chat in the console: its answers in zh and en (`marketer/<language>.yaml`), by dotted key.

Text is filled with plain replacement (not `str.format`), so braces a marketer typed stay as they are.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("zh", "en")
_DIR = Path(__file__).parent / "marketer"


@cache
def _answers(language: str) -> dict[str, Any]:
    with (_DIR / f"{language}.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def marketer_text(language: str | None, key: str, **values: Any) -> str:
    """The answer `key` (dotted, e.g. `propose.pause`) in `language` (zh for anything else), filled in."""
    node: Any = _answers(language if language in LANGUAGES else "zh")
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"no marketer answer {key!r}")
        node = node[part]
    if not isinstance(node, str):
        raise TypeError(f"marketer answer {key!r} is not a string")
    for name, value in values.items():
        node = node.replace("{" + name + "}", str(value))
    return node
