"""What both engines produce and how rules follow from itemsets.

Invariants every engine keeps, so that their outputs compare equal:
- an itemset is frequent when its basket count reaches `min_count_for(min_support, n_baskets)`, which is
  `ceil(min_support * n)` — the threshold of Spark's `FPGrowth` and mlxtend's `fpgrowth`;
- supports are fractions `count / n_baskets`;
- a rule has exactly one consequent item (a cross-sell offers one product; Spark's rules are the same):
  `confidence = count(A ∪ {c}) / count(A)`, `lift = confidence / support({c})`, kept when confidence reaches
  `min_confidence`;
- items inside an itemset or antecedent are sorted, itemsets sorted by support (then size, then items) and
  rules by lift, confidence and support (then items), so two runs print the same.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tools.marketing.rules.errors import RulesError


@dataclass(frozen=True, slots=True)
class Itemset:
    items: tuple[str, ...]
    count: int
    support: float


@dataclass(frozen=True, slots=True)
class Rule:
    antecedent: tuple[str, ...]
    consequent: tuple[str, ...]
    support: float
    confidence: float
    lift: float


@dataclass(slots=True)
class MiningResult:
    engine: str
    n_baskets: int
    min_support: float
    min_confidence: float
    min_count: int
    itemsets: list[Itemset] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    n_items: int = 0  # distinct items seen in the baskets
    seconds: float = 0.0  # mining time, itemsets and rules


def check_thresholds(min_support: float, min_confidence: float) -> None:
    if not (0.0 < min_support <= 1.0) or math.isnan(min_support):
        raise RulesError(f"--min-support must be a fraction in (0, 1], got {min_support}")
    if not (0.0 <= min_confidence <= 1.0) or math.isnan(min_confidence):
        raise RulesError(f"--min-confidence must be a fraction in [0, 1], got {min_confidence}")


def min_count_for(min_support: float, n_baskets: int) -> int:
    """The fewest baskets an itemset must appear in: `ceil(min_support * n)` (Spark's and mlxtend's rule), ≥ 1."""
    return max(1, math.ceil(min_support * n_baskets))


def sort_itemsets(itemsets: Iterable[Itemset]) -> list[Itemset]:
    return sorted(itemsets, key=lambda s: (-s.count, len(s.items), s.items))


def sort_rules(rules: Iterable[Rule]) -> list[Rule]:
    return sorted(rules, key=lambda r: (-r.lift, -r.confidence, -r.support, r.antecedent, r.consequent))


def itemsets_from_counts(counts: Mapping[frozenset[str], int], n_baskets: int) -> list[Itemset]:
    return sort_itemsets(Itemset(tuple(sorted(items)), c, c / n_baskets) for items, c in counts.items())


def rules_from_itemsets(
    counts: Mapping[frozenset[str], int], n_baskets: int, min_confidence: float
) -> list[Rule]:
    """Every one-consequent rule of every frequent itemset of two or more items that reaches `min_confidence`.

    `counts` must be downward closed (every subset of a frequent itemset is in it), as any FP-growth output is.
    """
    single = {item: c / n_baskets for items, c in counts.items() if len(items) == 1 for item in items}
    rules: list[Rule] = []
    for items, count in counts.items():
        if len(items) < 2:
            continue
        support = count / n_baskets
        for item in items:
            antecedent = items - {item}
            confidence = count / counts[antecedent]
            if confidence >= min_confidence:
                rules.append(Rule(tuple(sorted(antecedent)), (item,), support, confidence, confidence / single[item]))
    return sort_rules(rules)
