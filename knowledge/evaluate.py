"""Retrieval evaluation: does the right policy document come back for real customer questions?

    python -m knowledge.evaluate            # both backends, hybrid and single-retriever ablations

builds each backend's index from knowledge/docs in a temporary directory and prints document hit
rates (top-1, top-3) overall and per language. The numbers in knowledge/eval/RESULTS.md come from here.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.protocols import Language, Retriever

QUESTIONS_FILE = Path(__file__).resolve().parent / "eval" / "questions.yaml"
UNANSWERABLE_FILE = Path(__file__).resolve().parent / "eval" / "unanswerable.yaml"


@dataclass(frozen=True, slots=True)
class Question:
    q: str
    lang: Language
    expected_doc: str


def load_questions(path: Path = QUESTIONS_FILE) -> list[Question]:
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    items = data["questions"] if isinstance(data, dict) else data
    return [Question(q=str(i["q"]), lang=i["lang"], expected_doc=str(i["expected_doc"])) for i in items]


def load_unanswerable(path: Path = UNANSWERABLE_FILE) -> list[tuple[str, Language]]:
    """Questions the documents do not answer, as (question, language)."""
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return [(str(i["q"]), i["lang"]) for i in data["questions"]]


def evidence_report(kb: Retriever, questions: Sequence[Question],
                    unanswerable: Sequence[tuple[str, Language]]) -> dict[str, dict[str, Any]]:
    """Per language: the floor `knowledge.evidence.calibrate` picks from the answerable questions' evidence, the
    floor in use (`Passage.sufficient`), and the shares of answerable questions each keeps and of unanswerable
    ones each turns away."""
    from knowledge.evidence import calibrate

    def evidence(q: str, lang: Language) -> tuple[float, bool]:
        top = kb.search(q, k=1, language=lang)
        return (top[0].evidence or 0.0, top[0].sufficient) if top else (0.0, False)

    out: dict[str, dict[str, Any]] = {}
    for lang in sorted({q.lang for q in questions}):
        pos = [evidence(q.q, q.lang) for q in questions if q.lang == lang]
        neg = [evidence(q, qlang) for q, qlang in unanswerable if qlang == lang]
        floor = calibrate([e for e, _ in pos])
        out[lang] = {
            "n_answerable": len(pos), "n_unanswerable": len(neg), "calibrated_floor": floor,
            "calibrated_keeps": sum(e >= floor for e, _ in pos) / len(pos),
            "calibrated_turns_away": sum(e < floor for e, _ in neg) / len(neg) if neg else 0.0,
            "in_use_keeps": sum(ok for _, ok in pos) / len(pos),
            "in_use_turns_away": sum(not ok for _, ok in neg) / len(neg) if neg else 0.0,
        }
    return out


def _rates(hits: list[tuple[bool, bool]]) -> dict[str, float | int]:
    n = len(hits)
    return {
        "n": n,
        "top1": round(sum(h1 for h1, _ in hits) / n, 4) if n else 0.0,
        "top3": round(sum(h3 for _, h3 in hits) / n, 4) if n else 0.0,
    }


def evaluate(kb: Retriever, questions: Sequence[Question], *, k: int = 3) -> dict[str, Any]:
    """Top-1 and top-k document hit rates, overall and per language, plus the misses to read.

    Each question is asked with its own language, as the agent passes the conversation language.
    """
    hits: list[tuple[bool, bool]] = []
    by_lang: dict[str, list[tuple[bool, bool]]] = {}
    misses: list[dict[str, Any]] = []
    for question in questions:
        docs = [p.doc for p in kb.search(question.q, k=k, language=question.lang)]
        hit = (bool(docs) and docs[0] == question.expected_doc, question.expected_doc in docs)
        hits.append(hit)
        by_lang.setdefault(question.lang, []).append(hit)
        if not hit[0]:
            misses.append({"q": question.q, "expected": question.expected_doc, "got": docs})
    return {
        **_rates(hits),
        "by_language": {lang: _rates(h) for lang, h in sorted(by_lang.items())},
        "misses": misses,
    }


def format_row(label: str, result: dict[str, Any]) -> str:
    zh = result["by_language"].get("zh", {"top1": 0.0, "top3": 0.0})
    en = result["by_language"].get("en", {"top1": 0.0, "top3": 0.0})
    return (
        f"| {label:<34} | {result['top1']:.3f} | {result['top3']:.3f} | {zh['top1']:.3f} | {zh['top3']:.3f} "
        f"| {en['top1']:.3f} | {en['top3']:.3f} |"
    )


TABLE_HEADER = (
    "| backend / mode                     | top-1 | top-3 | zh@1  | zh@3  | en@1  | en@3  |\n"
    "|------------------------------------|-------|-------|-------|-------|-------|-------|"
)


def main(argv: Sequence[str] | None = None) -> int:
    from knowledge.base import SEARCH_MODES, KnowledgeBase
    from knowledge.embedders import EMBEDDER_NAMES
    from knowledge.ingest import default_docs_dir, ingest

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", nargs="+", default=list(EMBEDDER_NAMES), choices=EMBEDDER_NAMES)
    parser.add_argument("--modes", nargs="+", default=list(SEARCH_MODES), choices=SEARCH_MODES)
    parser.add_argument("--questions", type=Path, default=QUESTIONS_FILE)
    parser.add_argument(
        "--docs", type=Path, default=None, help="documents to index (default: knowledge/docs)"
    )
    parser.add_argument("--misses", action="store_true", help="list the questions missed at rank 1")
    parser.add_argument("--evidence", action="store_true",
                        help="calibrate the evidence floor (knowledge.evidence) on the default backend and stop")
    args = parser.parse_args(argv)
    if args.evidence:
        with tempfile.TemporaryDirectory(prefix="kefu-eval-") as tmp:
            ingest([args.docs or default_docs_dir()], Path(tmp) / "index", progress=False)
            kb = KnowledgeBase.load(Path(tmp) / "index")
            for lang, row in evidence_report(kb, load_questions(args.questions), load_unanswerable()).items():
                print(lang, row)
        return 0

    questions = load_questions(args.questions)
    docs = [args.docs or default_docs_dir()]
    n_zh = sum(q.lang == "zh" for q in questions)
    print(f"{len(questions)} questions ({n_zh} zh, {len(questions) - n_zh} en)\n")
    print(TABLE_HEADER)
    missed: list[tuple[str, dict[str, Any]]] = []
    bm25_done = False
    with tempfile.TemporaryDirectory(prefix="kefu-eval-") as tmp:
        for backend in args.backends:
            index_dir = Path(tmp) / backend
            ingest(docs, index_dir, embedder=backend, progress=False)
            for mode in args.modes:
                if mode == "bm25" and bm25_done:
                    continue  # BM25 does not depend on the embedder
                bm25_done = bm25_done or mode == "bm25"
                label = "bm25 only" if mode == "bm25" else f"{backend} {mode}"
                result = evaluate(KnowledgeBase.load(index_dir, mode=mode), questions)
                print(format_row(label, result))
                missed.append((label, result))
    if args.misses:
        for label, result in missed:
            print(f"\n## misses at rank 1: {label}")
            for miss in result["misses"]:
                print(f"- {miss['q']}  expected={miss['expected']}  got={miss['got']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
