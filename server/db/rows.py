"""Plain rows out of ORM objects: repositories hand out frozen dataclasses, never live ORM objects
(which would lazy-load, or fail, once their session is closed)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def to_row(cls: type[T], obj: object, **values: Any) -> T:
    """A `cls` dataclass from `obj`: every field is the attribute of the same name, unless given in `values`."""
    return cls(**{f.name: values[f.name] if f.name in values else getattr(obj, f.name) for f in fields(cls)})  # type: ignore[arg-type]


class Validated(Generic[T]):
    """The models `validate` made from the rows of the latest read, made again only when a read's rows differ: the
    rows are still read every time (no staleness across workers), only their validation is saved."""

    def __init__(self, validate: Callable[[Sequence[Any]], list[T]]) -> None:
        self._validate = validate
        self._lock = threading.Lock()
        self._last: tuple[Sequence[Any], list[T]] | None = None

    def __call__(self, rows: Sequence[Any]) -> list[T]:
        with self._lock:
            if self._last is not None and self._last[0] == rows:
                return list(self._last[1])
        models = self._validate(rows)
        with self._lock:
            self._last = (rows, models)
        return list(models)
