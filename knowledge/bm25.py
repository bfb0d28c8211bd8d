"""Okapi BM25 over a sparse term-document matrix: the scores of `rank_bm25.BM25Okapi`, bit for bit, in time that
grows with the postings of the query's words rather than with the corpus (`rank_bm25` walks every document in
Python for each query word: tens of milliseconds per word at 100,000 chunks).

Same parameters and the same idf floor: a word in more than half the documents gets `epsilon` times the average
idf instead of a negative one.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy.sparse import csc_matrix


class SparseBM25:
    """BM25 of every document for a tokenised query; one column of precomputed term weights per word."""

    def __init__(self, corpus: Sequence[Sequence[str]], *, k1: float = 1.5, b: float = 0.75,
                 epsilon: float = 0.25) -> None:
        self.corpus_size = len(corpus)
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        freqs: list[int] = []
        doc_len = np.zeros(self.corpus_size, dtype=np.float64)
        for d, doc in enumerate(corpus):
            doc_len[d] = len(doc)
            for word, tf in Counter(doc).items():
                rows.append(d)
                cols.append(vocab.setdefault(word, len(vocab)))
                freqs.append(tf)
        self.vocab = vocab
        self.avgdl = float(doc_len.sum()) / self.corpus_size if self.corpus_size else 0.0
        tf = np.asarray(freqs, dtype=np.float64)
        row = np.asarray(rows, dtype=np.int64)
        # the same expression, in the same order, as rank_bm25's get_scores (so the floats agree exactly)
        weights = tf * (k1 + 1) / (tf + k1 * (1 - b + b * doc_len[row] / self.avgdl)) if len(tf) else tf
        self._matrix = csc_matrix((weights, (row, np.asarray(cols, dtype=np.int64))),
                                  shape=(self.corpus_size, len(vocab)))
        self._matrix.sort_indices()
        df = np.diff(self._matrix.indptr)
        idf = [math.log(self.corpus_size - n + 0.5) - math.log(n + 0.5) for n in df.tolist()]
        average = sum(idf) / len(idf) if idf else 0.0
        self.idf = np.array([v if v >= 0 else epsilon * average for v in idf], dtype=np.float64)

    def get_scores(self, query: Sequence[str]) -> np.ndarray:
        """BM25 of every document, in corpus order (a word repeated in the query counts again, as in rank_bm25)."""
        scores = np.zeros(self.corpus_size, dtype=np.float64)
        matrix = self._matrix
        for word in query:
            col = self.vocab.get(word)
            if col is None:
                continue
            start, end = matrix.indptr[col], matrix.indptr[col + 1]
            scores[matrix.indices[start:end]] += self.idf[col] * matrix.data[start:end]
        return scores
