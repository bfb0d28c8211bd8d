"""Purchase histories as plain data: visits (one customer's items at one time), their integer encoding,
and the leave-last-visit-out split the evaluation and the blend tuning use.

Times are anything sortable (ISO strings, dates, datetimes); only their order matters.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse


@dataclass(frozen=True, slots=True)
class Visit:
    """One basket: the items a customer bought (or interacted with) at one time."""

    user: str
    at: Any  # sortable
    items: tuple[str, ...]


def visits_from_rows(rows: Iterable[tuple[Hashable, Any, Hashable]]) -> list[Visit]:
    """(user, time, item) rows → visits: a user's rows at one time form one basket (items deduplicated,
    first-seen order). Visits come out per user, oldest first."""
    baskets: dict[tuple[str, Any], dict[str, None]] = {}
    for user, at, item in rows:
        baskets.setdefault((str(user), at), {})[str(item)] = None
    ordered = sorted(baskets.items(), key=lambda kv: (kv[0][0], kv[0][1]))
    return [Visit(user, at, tuple(items)) for (user, at), items in ordered]


def by_user(visits: Iterable[Visit]) -> dict[str, list[Visit]]:
    """Visits grouped per user, each list oldest first."""
    out: dict[str, list[Visit]] = {}
    for v in visits:
        out.setdefault(v.user, []).append(v)
    for user_visits in out.values():
        user_visits.sort(key=lambda v: v.at)
    return out


@dataclass(frozen=True, slots=True)
class Split:
    """Training visits and, per evaluated user, the items of the visit held out (their last)."""

    train: list[Visit]
    held_out: dict[str, frozenset[str]]


def leave_last_visit_out(visits: Iterable[Visit], *, min_visits: int = 2) -> Split:
    """Hold out each user's last visit when they have at least `min_visits`; everything else trains."""
    train: list[Visit] = []
    held: dict[str, frozenset[str]] = {}
    for user, user_visits in by_user(visits).items():
        if len(user_visits) >= min_visits:
            train.extend(user_visits[:-1])
            held[user] = frozenset(user_visits[-1].items)
        else:
            train.extend(user_visits)
    return Split(train, held)


@dataclass(slots=True)
class Encoded:
    """Visits as integer item indexes per user (oldest visit first), with the item vocabulary."""

    items: list[str]
    index: dict[str, int]
    histories: dict[str, list[np.ndarray]] = field(default_factory=dict)

    @classmethod
    def build(cls, visits: Sequence[Visit], extra_items: Iterable[str] = ()) -> Encoded:
        index: dict[str, int] = {}
        for item in extra_items:
            index.setdefault(str(item), len(index))
        for v in visits:
            for item in v.items:
                index.setdefault(item, len(index))
        enc = cls(items=list(index), index=index)
        for user, user_visits in by_user(visits).items():
            enc.histories[user] = [enc.encode(v.items) for v in user_visits]
        return enc

    @property
    def n_items(self) -> int:
        return len(self.items)

    def encode(self, items: Iterable[str]) -> np.ndarray:
        """Known items' indexes (unknown ones are dropped: a model cannot score what it never saw)."""
        return np.fromiter((self.index[i] for i in items if i in self.index), dtype=np.int32)

    def baskets(self) -> list[np.ndarray]:
        return [b for visits in self.histories.values() for b in visits]

    def user_items(self, users: Sequence[str]) -> sparse.csr_matrix:
        """users × items counts of visits containing the item (the implicit-feedback matrix)."""
        rows, cols = [], []
        for u, user in enumerate(users):
            for basket in self.histories.get(user, []):
                rows.append(np.full(len(basket), u, dtype=np.int32))
                cols.append(basket)
        r = np.concatenate(rows) if rows else np.zeros(0, np.int32)
        c = np.concatenate(cols) if cols else np.zeros(0, np.int32)
        m = sparse.csr_matrix((np.ones(len(r), np.float32), (r, c)), shape=(len(users), self.n_items))
        m.sum_duplicates()
        return m
