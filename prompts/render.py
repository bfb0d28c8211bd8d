"""Load the zh/en reply templates once and render them by dotted key."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("zh", "en")
_DIR = Path(__file__).parent / "replies"


@cache
def templates(language: str) -> dict[str, Any]:
    """All templates of one language (falls back to zh for an unknown language)."""
    lang = language if language in LANGUAGES else "zh"
    with (_DIR / f"{lang}.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def warm_up() -> None:
    """Parse every language's templates now (~10 ms of YAML each), not on the first reply in that language."""
    for language in LANGUAGES:
        templates(language)


def template(key: str, language: str) -> Any:
    """A raw template value (string, list or mapping) by dotted key, e.g. `status.shipped`."""
    node: Any = templates(language)
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"no reply template {key!r} for language {language!r}")
        node = node[part]
    return node


def render(key: str, language: str, **params: Any) -> str:
    """Fill a string template; a missing parameter is a programming error and raises."""
    value = template(key, language)
    if not isinstance(value, str):
        raise TypeError(f"reply template {key!r} is not a string")
    return value.format(**params)
