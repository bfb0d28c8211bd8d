"""Text features shared by affect training and inference.

One implementation on both sides is what keeps the weights meaningful: n-grams are hashed by
`agent.ngrams` into a fixed number of buckets, weighted by log term frequency and L2-normalised.
Everything here is pure Python and cheap (tens of microseconds for a chat message), so it can run on the
hot path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from agent.ngrams import fold, logtf_features

# --- normalisation and n-grams -------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_EN_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[!?]+|[.,;:]|[\u4e00-\u9fff]")
_NEGATOR = re.compile(r"^(?:not|no|never|nothing|nobody|none|neither|nor|cannot|without|hardly|barely)$|n't$")
_SCOPE_END = {".", ",", ";", ":", "but", "!", "?"}


def normalize(text: str) -> str:
    """NFKC (full-width to half-width, compatibility forms) and lower case; whitespace collapsed."""
    return _SPACES.sub(" ", fold(text).replace("’", "'")).strip()


def zh_ngrams(text: str, n_max: int = 3) -> list[str]:
    """Character 1..n_max-grams with boundary marks: Chinese needs no segmenter for this."""
    s = "^" + normalize(text).replace(" ", "") + "$"
    return [s[i : i + n] for n in range(1, n_max + 1) for i in range(len(s) - n + 1)]


def en_tokens(text: str) -> list[str]:
    """Word tokens; words inside a negation scope ("not ... ," / "never ... but") get a `_n` suffix."""
    out: list[str] = []
    negated = False
    for tok in _EN_TOKEN.findall(normalize(text)):
        if tok in _SCOPE_END or tok[0] in "!?":
            negated = False
            out.append(tok)
            continue
        out.append(tok + "_n" if negated else tok)
        if _NEGATOR.search(tok):
            negated = True
    return out


def en_ngrams(text: str, c_min: int = 3, c_max: int = 6) -> list[str]:
    """Words and word bigrams (negation-marked) plus character n-grams inside each word."""
    toks = en_tokens(text)
    feats = ["w:" + t for t in toks]
    feats += ["b:" + a + " " + b for a, b in zip(["^", *toks], [*toks, "$"], strict=True)]
    for tok in toks:
        word = " " + tok.removesuffix("_n") + " "
        for n in range(c_min, c_max + 1):
            feats += ["c:" + word[i : i + n] for i in range(len(word) - n + 1)]
    return feats


def ngrams(text: str, language: str) -> list[str]:
    return zh_ngrams(text) if language == "zh" else en_ngrams(text)


# --- hashing -------------------------------------------------------------------------------------


def hashed_matrix(texts: Iterable[str], language: str, bits: int):  # -> scipy.sparse.csr_matrix
    """Training-side: the same hashing as inference, stacked into a sparse matrix (scipy imported lazily)."""
    from scipy import sparse

    indptr = [0]
    indices: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for text in texts:
        idx, val = logtf_features(ngrams(text, language), bits)
        indices.append(idx)
        values.append(val)
        indptr.append(indptr[-1] + len(idx))
    n = len(indptr) - 1
    ind = np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64)
    dat = np.concatenate(values) if values else np.zeros(0, dtype=np.float32)
    return sparse.csr_matrix((dat.astype(np.float64), ind, np.asarray(indptr)), shape=(n, 1 << bits))

