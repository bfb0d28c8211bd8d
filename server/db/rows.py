"""Plain rows out of ORM objects: repositories hand out frozen dataclasses, never live ORM objects
(which would lazy-load, or fail, once their session is closed)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


def to_row(cls: type[T], obj: object, **values: Any) -> T:
    """A `cls` dataclass from `obj`: every field is the attribute of the same name, unless given in `values`."""
    return cls(**{f.name: values[f.name] if f.name in values else getattr(obj, f.name) for f in fields(cls)})  # type: ignore[arg-type]
