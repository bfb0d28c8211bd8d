"""The local engine: Christian Borgelt's FP-growth in C (`pyfim`) for the itemsets, rules derived from them.

One process, no JVM: the embedded default for a store's own orders and anything that fits in memory. `pyfim`
is imported when mining runs, so importing this package stays light.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations

from tools.marketing.rules.errors import RulesError
from tools.marketing.rules.mining import (
    MiningResult,
    check_thresholds,
    itemsets_from_counts,
    min_count_for,
    rules_from_itemsets,
)

# Items in every basket make 2^k - 1 itemsets of full support; beyond this many that is no data to mine.
MAX_UNIVERSAL = 16


def weigh(baskets: Iterable[Sequence[str]]) -> Counter[tuple[str, ...]]:
    """Identical baskets (same items, same order) collapsed into one with a multiplicity; an item repeated in
    a basket kept once.

    Orders repeat — one-item baskets of the best sellers most of all — and pyfim takes a transaction
    database as {transaction: multiplicity}; handing a basket to the C code costs far more than counting it
    here. Counting (one tuple and one hash per basket, in C) is most of the local engine's time on a list of
    baskets, so nothing else runs per basket: repeats inside a basket are looked for once per distinct basket.
    """
    counted: Counter[tuple[str, ...]] = Counter(map(tuple, baskets))
    repeats = [basket for basket in counted if len(set(basket)) != len(basket)]
    for basket in repeats:  # rare: baskets from a parser keep each item once already
        counted[tuple(dict.fromkeys(basket))] += counted.pop(basket)
    return counted


def frequent_counts(
    baskets: Sequence[Sequence[str]] | Mapping[tuple[str, ...], int], min_count: int
) -> dict[frozenset[str], int]:
    """Every itemset in at least `min_count` baskets, with its basket count (items in a basket must be
    distinct). `baskets` may already be weighed (`weigh`)."""
    import fim

    weighted = baskets if isinstance(baskets, Mapping) else weigh(baskets)
    # supp < 0 is an absolute count; target "s" = all frequent itemsets; report "a" = the absolute support.
    found = fim.fpgrowth(weighted, target="s", supp=-min_count, zmin=1, report="a")
    counts = {frozenset(items): count for items, count in found}
    counts.update(_sets_of_universal_items(weighted))
    return counts


def _sets_of_universal_items(weighted: Mapping[tuple[str, ...], int]) -> dict[frozenset[str], int]:
    """pyfim leaves out the itemsets made only of items that are in every basket (they extend the empty set,
    which it does not report; their supersets with other items it does report): all of them, in all baskets."""
    universal: set[str] | None = None
    for basket in weighted:  # on real data the first few baskets already share nothing
        universal = set(basket) if universal is None else universal.intersection(basket)
        if not universal:
            return {}
    if universal is None:
        return {}
    if len(universal) > MAX_UNIVERSAL:
        raise RulesError(f"all baskets hold the same {len(universal)} items: nothing to learn from them")
    n = sum(weighted.values())
    items = sorted(universal)
    return {frozenset(subset): n for size in range(1, len(items) + 1) for subset in combinations(items, size)}


def mine_local(
    baskets: Sequence[Sequence[str]] | Mapping[tuple[str, ...], int],
    *,
    min_support: float,
    min_confidence: float = 0.0,
) -> MiningResult:
    """Frequent itemsets (support ≥ `min_support`) and their one-consequent rules (confidence ≥ `min_confidence`).

    `baskets` is a list of baskets, or baskets already weighed ({basket: count}, `weigh`,
    `read_weighted_baskets`; items distinct within a basket)."""
    check_thresholds(min_support, min_confidence)
    if not baskets:
        raise RulesError("no baskets to mine")
    started = time.perf_counter()
    weighted = baskets if isinstance(baskets, Mapping) else weigh(baskets)
    n = sum(weighted.values())
    min_count = min_count_for(min_support, n)
    counts = frequent_counts(weighted, min_count)
    result = MiningResult(
        engine="local",
        n_baskets=n,
        min_support=min_support,
        min_confidence=min_confidence,
        min_count=min_count,
        itemsets=itemsets_from_counts(counts, n),
        rules=rules_from_itemsets(counts, n, min_confidence),
        n_items=len(set().union(*weighted)),
    )
    result.seconds = time.perf_counter() - started
    return result
