"""Turn a free-text product query (zh, en or mixed) into search terms.

Category keywords are found first (longest first, so 手机壳 beats 手机 and "phone case" beats
"phone"); what is left becomes word terms (Latin words, short CJK runs, or CJK bigrams for long
runs, since Chinese has no spaces and jieba is too heavy to load here).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from agent.language import CJK_RUN

_STOP_EN = "a an the for with and or of to in on my i me want need buy some any show please looking like do you have"
STOPWORDS_EN = frozenset([*_STOP_EN.split(" "), "is", "are", "it", "this", "that", "new", "good", "best", "cheap"])
STOPWORDS_ZH = ("我想买", "有没有", "请问", "推荐", "一个", "一款", "想要", "我要", "我想", "帮我")
STOPWORDS_ZH_CHARS = "的了吗呢"
MAX_TERMS = 8

_LATIN_WORD = re.compile(r"[a-z0-9][a-z0-9+\-.]*[a-z0-9+]|[a-z0-9]")


@dataclass(frozen=True, slots=True)
class SearchTerm:
    """One thing the query asks for: a word to find in name/brand, and categories whose keyword it is."""

    text: str
    categories: tuple[str, ...] = field(default_factory=tuple)


def _is_cjk(text: str) -> bool:
    return bool(CJK_RUN.fullmatch(text))


def keyword_index(categories: Iterable[tuple[str, Iterable[str]]]) -> dict[str, tuple[str, ...]]:
    """Lower-cased keyword -> category keys that list it (a keyword may belong to several)."""
    index: dict[str, list[str]] = {}
    for key, words in categories:
        for word in words:
            w = word.strip().lower()
            if w and key not in index.setdefault(w, []):
                index[w].append(key)
    return {w: tuple(keys) for w, keys in index.items()}


def _find_keyword(text: str, keyword: str) -> int:
    """Position of `keyword` in `text` (whole words for Latin keywords), or -1."""
    if _is_cjk(keyword):
        return text.find(keyword)
    m = re.search(rf"(?<![a-z0-9]){re.escape(keyword)}(?![a-z0-9])", text)
    return m.start() if m else -1


def _word_terms(rest: str) -> list[str]:
    words: list[str] = []
    for word in _LATIN_WORD.findall(rest):
        if len(word) > 1 and word not in STOPWORDS_EN:
            words.append(word)
    for run in CJK_RUN.findall(rest):
        for stop in (*STOPWORDS_ZH, *STOPWORDS_ZH_CHARS):
            run = run.replace(stop, " ")
        for piece in run.split():
            if len(piece) <= 3:
                words.append(piece)
            else:
                words.extend(piece[i : i + 2] for i in range(len(piece) - 1))
    return words


def parse_query(text: str, keywords: dict[str, tuple[str, ...]]) -> list[SearchTerm]:
    """Split `text` into category-keyword terms and word terms, at most MAX_TERMS, no duplicates."""
    rest = " " + text.lower().strip() + " "
    terms: list[SearchTerm] = []
    for kw in sorted(keywords, key=lambda k: (-len(k), k)):
        single_cjk = len(kw) == 1 and _is_cjk(kw)
        if single_cjk and rest.strip() != kw:
            continue  # 壳/膜/卡/线 alone are keywords, but as substrings they match too much
        pos = _find_keyword(rest, kw)
        if pos >= 0:
            terms.append(SearchTerm(kw, keywords[kw]))
            rest = rest[:pos] + " " + rest[pos + len(kw) :]
    seen = {t.text for t in terms}
    for word in _word_terms(rest):
        if word not in seen:
            seen.add(word)
            terms.append(SearchTerm(word))
    return terms[:MAX_TERMS]
