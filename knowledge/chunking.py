"""Read policy documents (Markdown or plain text) and cut them into citation-sized chunks.

Chunks never cross a `##` section, so every passage can cite its section heading, and they are split on
paragraph, list-item and sentence boundaries so a cited passage reads as whole sentences.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from agent.language import detect_language
from agent.protocols import Language

SOURCE_SUFFIXES = (".md", ".txt")
MAX_ZH_CHARS = 350
MAX_EN_WORDS = 120

_SENTENCE_ZH = re.compile(r"(?<=[。！？；])")
_SENTENCE_EN = re.compile(r"(?<=[.!?;])\s+")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|`)")


@dataclass(frozen=True, slots=True)
class Section:
    heading: str  # "" for text before the first `##`
    body: str


@dataclass(frozen=True, slots=True)
class Document:
    doc: str  # document id: the file stem, shared by the zh and en versions
    title: str
    language: Language
    sections: tuple[Section, ...]
    sha256: str
    source: str = ""  # path it was read from, for the manifest

    @property
    def key(self) -> str:
        """Unique per language version, e.g. "zh/returns"."""
        return f"{self.language}/{self.doc}"


@dataclass(frozen=True, slots=True)
class Chunk:
    doc: str
    title: str
    language: Language
    section: str
    text: str  # the chunk body only: what a citation shows

    @property
    def embed_text(self) -> str:
        """Title and heading give a short chunk the context it needs to be found ("how long" of what?)."""
        head = f"{self.title} - {self.section}" if self.section else self.title
        return f"{head}\n{self.text}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        return cls(**{name: data[name] for name in ("doc", "title", "language", "section", "text")})


def iter_source_files(paths: Iterable[Path]) -> list[Path]:
    """Files given directly plus .md/.txt files found under directories, sorted for stable indexes."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix in SOURCE_SUFFIXES)
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"no such file or directory: {path}")
    return found


def language_from_path(path: Path) -> Language | None:
    """The nearest parent folder named `zh`/`en` (also zh-CN, en-US, ...) decides the language."""
    for parent in path.parents:
        name = parent.name.lower()
        if name == "zh" or name.startswith(("zh-", "zh_")):
            return "zh"
        if name == "en" or name.startswith(("en-", "en_")):
            return "en"
    return None


def _clean(line: str) -> str:
    return _MD_EMPHASIS.sub("", _MD_LINK.sub(r"\1", line)).rstrip()


def parse_document(text: str, *, doc: str, language: Language | None = None, source: str = "") -> Document:
    """Split Markdown into title and `##` sections; plain text becomes one untitled section."""
    title = ""
    heading = ""
    sections: list[Section] = []
    lines: list[str] = []

    def flush() -> None:
        body = "\n".join(lines).strip()
        if body:
            sections.append(Section(heading, body))
        lines.clear()

    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("# ") and not title and not sections and not any(s.strip() for s in lines):
            title = _clean(stripped[2:].strip())
        elif stripped.startswith("## "):
            flush()
            heading = _clean(stripped[3:].strip())
        else:
            # Deeper headings stay inside their section as a line of text.
            lines.append(_clean(stripped.lstrip("#").strip() if stripped.startswith("###") else raw))
    flush()
    lang = language or detect_language(text, default="en")
    return Document(
        doc=doc,
        title=title or doc.replace("_", " ").strip(),
        language=lang,
        sections=tuple(sections),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source=source,
    )


def read_document(path: Path) -> Document:
    """Doc id from the file stem; language from the folder name, else detected from the text."""
    text = path.read_text(encoding="utf-8")
    return parse_document(text, doc=path.stem, language=language_from_path(path), source=str(path))


def _size(text: str, language: Language) -> int:
    return len("".join(text.split())) if language == "zh" else len(text.split())


def _split_sentences(text: str, language: Language) -> list[str]:
    pattern = _SENTENCE_ZH if language == "zh" else _SENTENCE_EN
    return [s.strip() for s in pattern.split(text) if s.strip()]


def _hard_split(text: str, language: Language, limit: int) -> list[str]:
    """Last resort for a single over-long sentence: cut by characters (zh) or words (en)."""
    if language == "zh":
        return [text[i : i + limit] for i in range(0, len(text), limit)]
    words = text.split()
    return [" ".join(words[i : i + limit]) for i in range(0, len(words), limit)]


def _units(body: str, language: Language, limit: int) -> list[str]:
    """Break a section into the smallest natural pieces that each fit the limit."""
    units: list[str] = []
    for paragraph in re.split(r"\n\s*\n", body):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if _size(paragraph, language) <= limit:
            units.append(paragraph)
            continue
        for line in paragraph.splitlines():
            line = line.strip()
            if not line:
                continue
            if _size(line, language) <= limit:
                units.append(line)
                continue
            bullet = _LIST_ITEM.match(line)
            prefix = bullet.group(0) if bullet else ""
            for i, sentence in enumerate(_split_sentences(line[len(prefix) :], language)):
                pieces = (
                    [sentence]
                    if _size(sentence, language) <= limit
                    else _hard_split(sentence, language, limit)
                )
                units.extend((prefix if i == 0 and j == 0 else "") + p for j, p in enumerate(pieces))
    return units


def chunk_document(
    document: Document, *, max_zh_chars: int = MAX_ZH_CHARS, max_en_words: int = MAX_EN_WORDS
) -> list[Chunk]:
    """Greedily pack consecutive units of each section into chunks no larger than the limit."""
    language = document.language
    limit = max_zh_chars if language == "zh" else max_en_words
    chunks: list[Chunk] = []
    for section in document.sections:
        current: list[str] = []
        size = 0
        for unit in _units(section.body, language, limit):
            unit_size = _size(unit, language)
            if current and size + unit_size > limit:
                chunks.append(
                    Chunk(document.doc, document.title, language, section.heading, "\n".join(current))
                )
                current, size = [], 0
            current.append(unit)
            size += unit_size
        if current:
            chunks.append(Chunk(document.doc, document.title, language, section.heading, "\n".join(current)))
    return chunks
