"""What the store sells that is most like a thing it does not sell: "蓝牙音箱" -> Bluetooth earphones, "laptop stand"
-> laptop bags and laptops, by text similarity over the catalogue.

Each product is described by its names, brand, category names and keywords, and description; a thing and a
product are compared by TF-IDF cosine over their terms — latin words (singular, lower case) and CJK character
bigrams and single characters (a single character counts for less, and alone makes no likeness: "核桃" is nothing
like "樱桃"). Rare shared terms weigh most, so "粽子" finds nothing in an electronics shop and the answer falls
back to the kinds the store sells. Text, not a model: it runs in about a millisecond on the shelf snapshot, and a
weak match is dropped (`MIN_SCORE`) rather than offered as "nearest".
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tools.commerce.ports import CategoryView, ProductView
from tools.commerce.product_words import EN_STOP, singular

MIN_SCORE = 0.08  # cosine below which a product is not "like" the thing at all
UNIGRAM_WEIGHT = 0.5  # a single CJK character says less than a pair
_WORD = re.compile(r"[a-z][a-z\-]{2,}", re.IGNORECASE)
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
# CJK characters that carry no kind of thing ("的", "款", "个"): never a term.
_CJK_FILLER = frozenset("的了是有和与及或个款种件只台套双把张色版")


def terms(text: str) -> Counter[str]:
    """A text's terms, weighted: latin words (singular), CJK bigrams (1) and single characters (`UNIGRAM_WEIGHT`)."""
    out: Counter[str] = Counter()
    for w in _WORD.findall(text):
        word = singular(w.lower().strip("-"))
        if word not in EN_STOP:
            out[word] += 1.0
    for run in _CJK_RUN.findall(text):
        for i in range(len(run) - 1):
            out[run[i: i + 2]] += 1.0
        for ch in run:
            if ch not in _CJK_FILLER:
                out[ch] += UNIGRAM_WEIGHT
    return out


def _text_of(p: ProductView, category: CategoryView | None) -> str:
    words = [p.name_zh, p.name_en, p.brand, p.category_zh, p.category_en, p.description_zh, p.description_en]
    if category is not None:
        words += [category.name_zh, category.name_en, *category.keywords_zh, *category.keywords_en]
    return " ".join(w for w in words if w)


@dataclass
class Likeness:
    """TF-IDF vectors of every product of a snapshot (build once per snapshot)."""

    vectors: dict[str, dict[str, float]] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)

    @classmethod
    def build(cls, products: Iterable[ProductView], categories: Mapping[str, CategoryView]) -> Likeness:
        raw = {p.product_id: terms(_text_of(p, categories.get(p.category))) for p in products}
        df: Counter[str] = Counter(t for counts in raw.values() for t in counts)
        n = max(1, len(raw))
        idf = {t: math.log(1 + n / d) for t, d in df.items()}
        vectors = {pid: _unit({t: (1 + math.log(c)) * idf[t] for t, c in counts.items() if c > 0})
                   for pid, counts in raw.items()}
        return cls(vectors, idf)

    def nearest(self, thing: str, k: int = 3) -> list[tuple[str, float]]:
        """The ids of the products most like `thing`, best first, with their cosine (at least `MIN_SCORE`)."""
        query = _unit({t: c * self.idf[t] for t, c in terms(thing).items() if t in self.idf})
        if not query:
            return []
        postings: dict[str, float] = defaultdict(float)
        for pid, vec in self.vectors.items():
            shared = [t for t in query if t in vec]
            if not any(len(t) > 1 for t in shared):
                continue  # single characters alone ("桃" of 核桃 and 樱桃) make no likeness
            score = sum(query[t] * vec[t] for t in shared)
            if score >= MIN_SCORE:
                postings[pid] = score
        return sorted(postings.items(), key=lambda item: (-item[1], item[0]))[:k]


def _unit(vec: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vec.values()))
    return {t: v / norm for t, v in vec.items()} if norm > 0 else {}
