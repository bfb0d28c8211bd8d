"""Need tags: which aspects a customer's review or message shows they care about (price, delivery, quality, …),
with the words that triggered each tag, so a marketer can see why a text was tagged and disagree.

A lexicon of cue patterns per tag and language (`needs.yaml` beside this module, data rather than code), matched
on the folded text. A tag fires when the text talks about its aspect, praise or complaint alike: "太贵了" and
"性价比很高" both say the customer weighs price. Cheap (microseconds a message), deterministic and explainable,
which is what a marketer's batch over thousands of reviews and a profile built from them need; its precision and
recall per tag are measured by `kefu eval needs` on a labelled set (`server/evals/data/needs.jsonl`).

Lives with the marketing tools, not in `agent.affect`: the turn does not read it (yet); customer profiles and
campaigns do.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

LEXICON_FILE = Path(__file__).with_name("needs.yaml")
# English cues match whole words: "fit" must not fire inside "benefit", nor "late" inside "chocolate".
_EN_LEFT, _EN_RIGHT = r"(?<![a-z0-9])", r"(?![a-z0-9])"
_SPACES = re.compile(r"\s+")


class NeedLexiconError(ValueError):
    """The need lexicon file is missing or malformed (a developer's error: the message names the entry)."""


@dataclass(frozen=True, slots=True)
class NeedTag:
    """One tag on one text: its id (`price`), and the cue words found, in text order, each once."""

    tag: str
    words: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"tag": self.tag, "words": list(self.words)}


@dataclass(frozen=True, slots=True)
class _Rule:
    tag: str
    cue: re.Pattern[str]
    exclude: re.Pattern[str] | None


def fold(text: str) -> str:
    """NFKC (full-width to half-width), lower case, curly apostrophes straight, whitespace collapsed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).lower().replace("’", "'")).strip()


class NeedTagger:
    """Tags texts with needs. Thread-safe; compiles its lexicon once, on first use."""

    def __init__(self, lexicon: Path = LEXICON_FILE) -> None:
        self.lexicon = lexicon
        self._lock = threading.Lock()
        self._rules: dict[str, list[_Rule]] | None = None
        self._names: dict[str, dict[str, str]] = {}

    @property
    def tags(self) -> tuple[str, ...]:
        """Every tag the lexicon defines, in its order."""
        return tuple(self._names) if self._load() else ()

    def name(self, tag: str, language: str) -> str:
        """The tag's name for people ("价格敏感", "price-sensitive")."""
        self._load()
        return self._names[tag]["zh" if language == "zh" else "en"]

    def tag(self, text: str, language: str) -> list[NeedTag]:
        """The needs `text` shows, in lexicon order; `language` ("zh"/"en") picks the cue set. Chinese messages
        often carry English cue words ("size 偏小", "物流 too slow"), so a zh text is also read with the en cues."""
        folded = fold(text)
        if not folded:
            return []
        rules = self._load()
        langs = ("zh", "en") if language == "zh" else ("en",)
        found: dict[str, list[tuple[int, str]]] = {}
        for lang in langs:
            for rule in rules[lang]:
                blocked = [m.span() for m in rule.exclude.finditer(folded)] if rule.exclude else []
                for m in rule.cue.finditer(folded):
                    if m.group() and not any(a <= m.start() < b or a < m.end() <= b for a, b in blocked):
                        found.setdefault(rule.tag, []).append(m.span())
        out = []
        for tag in self._names:
            if tag in found:
                out.append(NeedTag(tag, _words(folded, found[tag])))
        return out

    def _load(self) -> dict[str, list[_Rule]]:
        rules = self._rules
        if rules is None:
            with self._lock:
                if self._rules is None:
                    self._rules = self._compile()
                rules = self._rules
        return rules

    def _compile(self) -> dict[str, list[_Rule]]:
        try:
            raw = yaml.safe_load(self.lexicon.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise NeedLexiconError(f"need lexicon {self.lexicon} unreadable: {exc}") from exc
        if not isinstance(raw, dict) or not raw:
            raise NeedLexiconError(f"need lexicon {self.lexicon} holds no tags")
        rules: dict[str, list[_Rule]] = {"zh": [], "en": []}
        for tag, entry in raw.items():
            try:
                self._names[tag] = {"zh": str(entry["name"]["zh"]), "en": str(entry["name"]["en"])}
                for lang in ("zh", "en"):
                    excl = [re.escape(fold(e)) for e in (entry.get("exclude") or {}).get(lang) or []]
                    exclude = re.compile("|".join(excl)) if excl else None
                    for pattern in entry.get(lang) or []:
                        body = f"(?:{pattern})"
                        cue = re.compile(_EN_LEFT + body + _EN_RIGHT if lang == "en" else body)
                        rules[lang].append(_Rule(tag, cue, exclude))
            except (KeyError, TypeError, re.error) as exc:
                raise NeedLexiconError(f"need lexicon {self.lexicon}: bad entry {tag!r}: {exc}") from exc
        return rules


def _words(text: str, spans: list[tuple[int, int]]) -> tuple[str, ...]:
    """The cue words in text order, each once, without a span inside a longer one ("物流" in "物流慢")."""
    spans = sorted(set(spans), key=lambda s: (s[0], -s[1]))
    kept: list[tuple[int, int]] = []
    for a, b in spans:
        if not any(x <= a and b <= y for x, y in kept):
            kept.append((a, b))
    return tuple(dict.fromkeys(text[a:b] for a, b in kept))


_shared: NeedTagger | None = None


def shared_tagger() -> NeedTagger:
    """The process's one tagger (its compiled lexicon is shared)."""
    global _shared
    if _shared is None:
        _shared = NeedTagger()
    return _shared
