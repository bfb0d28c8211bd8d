"""`ProductShelf`: the catalogue in memory, for answering questions about products quickly and boundedly.

A snapshot holds every product (fields and descriptions), an index of the words of their names, brands and
models (latin words and CJK bigrams, weighted by rarity), the listing numbers, and the words of the kinds of thing
the store sells (category names and keywords, product-name words), so that "iPhone 16 Pro Max", "525873142019" or
"粽子" resolve to products, or to nothing, in well under a millisecond. It is read from the source once and again
after `ttl_s` (the catalogue changes when the store is rebuilt); reading it blocks, so tools call `snapshot` off
the event loop and plans use `current`.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from agent.language import has_cjk
from tools.commerce.ports import CategoryView, ProductShelfSource, ProductView
from tools.commerce.product_likeness import Likeness
from tools.commerce.product_words import GENERIC_EN, GENERIC_ZH, head_words, singular, tokens

SPECIFIC_DF = 12  # words name a product (not a kind) when at most this many products match them best
_Word = tuple[str, bool, tuple[str, ...]]  # a category word lower-cased, whether it is CJK, the categories it is of
COMPAT_KEYS = ("compatible_with", "strap_fit", "fits_inch", "card_type", "head_system", "capsule_system")


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (short words only)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@dataclass
class Snapshot:
    """One reading of the catalogue (treat as read-only)."""

    products: dict[str, ProductView]
    categories: dict[str, CategoryView]
    by_item_no: dict[str, str] = field(default_factory=dict)
    postings: dict[str, set[str]] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)
    kinds_zh: tuple[str, ...] = ()
    names_zh: tuple[str, ...] = ()
    vocab_en: frozenset[str] = frozenset()
    category_words: dict[str, tuple[str, ...]] = field(default_factory=dict)
    likeness: Likeness | None = field(default=None, repr=False)  # built on first `like`
    # each category's words lower-cased, with whether each is CJK (found anywhere) or latin (found whole), filed
    # under their first two characters with the categories they belong to: read on every turn's perception, so a
    # turn looks only at the words that can occur in its text (worked out once per snapshot, on first use)
    _category_finds: dict[str, tuple[_Word, ...]] | None = field(default=None, repr=False)
    _fitting: frozenset[str] | None = field(default=None, repr=False)  # see `fitting_categories`

    @classmethod
    def build(cls, products: Iterable[ProductView], categories: Iterable[CategoryView]) -> Snapshot:
        items = {p.product_id: p for p in products}
        cats = {c.key: c for c in categories}
        words = {key: (c.name_zh, c.name_en, *c.keywords_zh, *c.keywords_en) for key, c in cats.items()}
        by_item_no: dict[str, str] = {}
        postings: dict[str, set[str]] = defaultdict(set)
        for p in items.values():
            number = str(p.attributes.get("item_no") or "")
            if number and number not in by_item_no:
                by_item_no[number] = p.product_id
            for t in set(tokens(" ".join([p.name_zh, p.name_en, p.brand, str(p.attributes.get("model") or "")]))):
                postings[t].add(p.product_id)
        n = max(1, len(items))
        idf = {t: math.log(1 + n / len(ids)) for t, ids in postings.items()}
        kinds_zh = tuple(w for ws in words.values() for w in ws if has_cjk(w) and len(w) >= 2)
        vocab: set[str] = set()  # the words of the kinds the store sells, and its brands
        for text in [*(w for ws in words.values() for w in ws if not has_cjk(w)), *(p.brand for p in items.values())]:
            vocab.update(singular(w) for w in text.lower().replace("-", " ").split() if w.isalpha() and len(w) >= 3)
        return cls(items, cats, by_item_no, dict(postings), idf, kinds_zh,
                   tuple(p.name_zh for p in items.values()), frozenset(vocab), words)

    # ------------------------------------------------------------ lookups

    def get(self, product_id: str) -> ProductView | None:
        return self.products.get(product_id)

    def by_number(self, number: str) -> ProductView | None:
        pid = self.by_item_no.get(number)
        return self.products.get(pid) if pid else None

    def mentioned_categories(self, text: str) -> list[str]:
        """Categories whose name or keyword the text contains, in the order they appear."""
        low = text.lower()
        finds = self._category_finds if self._category_finds is not None else self._file_category_words()
        first: dict[str, int] = {}
        # a word occurs only where its first two characters do (a one-character word, where it does)
        for head in {low[i : i + 2] for i in range(len(low))} | set(low):
            for word, cjk, keys in finds.get(head, ()):
                pos = low.find(word) if cjk else _find_latin_word(low, word)
                if pos >= 0:
                    for key in keys:
                        if pos < first.get(key, pos + 1):
                            first[key] = pos
        return [key for key, _ in sorted(first.items(), key=lambda kv: (kv[1], kv[0]))]

    def fitting_categories(self) -> frozenset[str]:
        """The categories with a product that fits another (it has a `COMPAT_KEYS` attribute: a case, a strap)."""
        if self._fitting is None:
            self._fitting = frozenset(p.category for p in self.products.values()
                                      if any(k in p.attributes for k in COMPAT_KEYS))
        return self._fitting

    def _file_category_words(self) -> dict[str, tuple[_Word, ...]]:
        owners: dict[str, list[str]] = defaultdict(list)
        for key, ws in self.category_words.items():
            for w in dict.fromkeys(w.lower() for w in ws if w):
                owners[w].append(key)
        filed: dict[str, list[_Word]] = defaultdict(list)
        for word, keys in owners.items():
            filed[word[:2]].append((word, has_cjk(word), tuple(keys)))
        self._category_finds = {head: tuple(words) for head, words in filed.items()}
        return self._category_finds

    def named(self, text: str, *, category: str | None = None) -> list[ProductView]:
        """The products the text names by name, brand and model words ("iPhone 16 Pro Max" -> its variants), best
        first; empty when it names only a kind ("耳机") or nothing. `category` narrows the candidates."""
        query = [t for t in dict.fromkeys(tokens(text)) if t in self.postings]
        if not query:
            return []
        scores: Counter[str] = Counter()
        for t in query:
            for pid in self.postings[t]:
                if category is None or self.products[pid].category == category:
                    scores[pid] += self.idf[t]
        if not scores:
            return []
        asked = set(tokens(text))
        for pid in scores:  # the product whose own model the text names beats its accessories "for" that model
            model = set(tokens(str(self.products[pid].attributes.get("model") or "")))
            if model:
                scores[pid] += len(model & asked) / len(model)
        best = max(scores.values())
        top = [self.products[pid] for pid in sorted(scores, key=lambda pid: (-scores[pid], pid))
               if scores[pid] >= best - 1e-9]
        if len(top) > SPECIFIC_DF:  # so many alike: the words name a kind, not a product
            return []
        matched = [t for t in query if top[0].product_id in self.postings[t]]
        if len(matched) == 1 and matched[0] not in _own_words(top[0]):
            return []  # one common word ("book" of "Xiaomi Book Pro") names no product
        return top

    def sells(self, thing: str) -> bool | None:
        """Does the store sell this kind of thing? None when the words name no kind (too generic to say)."""
        if has_cjk(thing):
            if thing in GENERIC_ZH:
                return None
            return any(k in thing or thing in k for k in self.kinds_zh) or any(thing in n for n in self.names_zh)
        heads = head_words(thing)
        if not heads:
            return None
        word = singular(heads[0])
        if word in GENERIC_EN:
            return None
        if word in self.vocab_en:
            return True
        limit = 2 if len(word) >= 8 else 1 if len(word) >= 5 else 0
        return limit > 0 and any(abs(len(v) - len(word)) <= limit and _edits(word, v) <= limit for v in self.vocab_en)

    def in_category(self, key: str, k: int = 3) -> list[ProductView]:
        """A category's products, in-stock first, in store order."""
        mine = [p for p in self.products.values() if p.category == key]
        return sorted(mine, key=lambda p: p.stock <= 0)[:k]

    def variants(self, product: ProductView) -> list[ProductView]:
        """The product and its siblings: same category, brand and model (colours, storage sizes)."""
        model = product.attributes.get("model")
        if not model:
            return [product]
        return [p for p in self.products.values() if p.category == product.category and p.brand == product.brand
                and p.attributes.get("model") == model]

    def like(self, thing: str, k: int = 3) -> list[ProductView]:
        """The products most like a thing the store does not sell, best first: in stock, one per brand and kind."""
        if self.likeness is None:
            self.likeness = Likeness.build(self.products.values(), self.categories)
        seen: set[tuple[str, str]] = set()
        out: list[ProductView] = []
        for pid, _ in self.likeness.nearest(thing, k * 8):
            p = self.products[pid]
            group = (p.category, p.brand or p.product_id)
            if group in seen or p.stock <= 0:
                continue
            seen.add(group)
            out.append(p)
            if len(out) == k:
                break
        return out

    def biggest_categories(self, k: int = 6) -> list[CategoryView]:
        counts = Counter(p.category for p in self.products.values())
        return [self.categories[key] for key, _ in counts.most_common() if key in self.categories][:k]


def _own_words(product: ProductView) -> set[str]:
    """The words that alone name a product: its brand, and its model's first word ("iphone", "airpods")."""
    model = tokens(str(product.attributes.get("model") or ""))
    return set(tokens(product.brand)) | set(model[:1])


def _find_latin_word(text: str, word: str) -> int:
    """Position of `word` in `text` as a whole word (not inside a longer latin word), or -1."""
    start = 0
    while (pos := text.find(word, start)) >= 0:
        end = pos + len(word)
        if (pos == 0 or not text[pos - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
            return pos
        start = pos + 1
    return -1


class ProductShelf:
    """The catalogue snapshot, read from `source` on first use and again when older than `ttl_s`."""

    def __init__(self, source: ProductShelfSource, *, ttl_s: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._source = source
        self._ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._read_at = 0.0

    def snapshot(self) -> Snapshot:
        """The current snapshot, read afresh when stale (blocking: call it in a thread)."""
        with self._lock:
            if self._snapshot is None or self._clock() - self._read_at > self._ttl_s:
                self._snapshot = Snapshot.build(self._source.every(), self._source.categories())
                self._read_at = self._clock()
            return self._snapshot

    def current(self) -> Snapshot | None:
        """The snapshot read last, without reading (None before the first read)."""
        return self._snapshot

    def warm_up(self) -> None:
        self.snapshot()


def shelf_of(products: Sequence[ProductView], categories: Sequence[CategoryView]) -> Snapshot:
    """A snapshot of given products (tests, benchmarks)."""
    return Snapshot.build(products, categories)
