"""Hashed n-gram features for the intent classifier, shared by training and inference.

Why hashing: no vocabulary to store or keep in sync, a fixed-size weight matrix, and unseen words
(typos, pinyin abbreviations, new product names) still land somewhere. Features, all binary:
token 1-3-grams (a CJK character is a token, so Chinese gets character n-grams), character 3-5-grams
inside Latin words (robust to English typos), and a coarse length bucket (short replies are social).
Order ids, phone numbers and long digit runs become placeholder tokens so ids do not become features.
The hash is CRC32, stable across processes (Python's `hash` is salted).
"""

from __future__ import annotations

import re
import unicodedata
import zlib

import numpy as np

FEATURE_VERSION = 1

_ORDER_ID = re.compile(r"kf[\s#:：\-]*(?:\d\s?){7}\d", re.IGNORECASE)
_LONG_DIGITS = re.compile(r"\d{5,}")
_DIGIT = re.compile(r"\d")
_TOKEN = re.compile(r"[a-z][a-z']*|\d+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\sa-z\d\u3400-\u9fff]",
                    re.IGNORECASE)


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), lower case, ids and digits to placeholders."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _ORDER_ID.sub(" kfid ", text)
    text = _LONG_DIGITS.sub(" numid ", text)
    return _DIGIT.sub("0", text)


def tokens(text: str) -> list[str]:
    """Tokens of normalized text: Latin words, digit runs, single CJK characters, single symbols."""
    return _TOKEN.findall(text)


def feature_strings(text: str) -> list[str]:
    """The (unhashed) feature names of one message; handy for debugging."""
    toks = tokens(normalize(text))
    feats: list[str] = []
    for i, tok in enumerate(toks):
        feats.append("u" + tok)
        if i + 1 < len(toks):
            feats.append("b" + tok + "\x1f" + toks[i + 1])
            if i + 2 < len(toks):
                feats.append("t" + tok + "\x1f" + toks[i + 1] + "\x1f" + toks[i + 2])
        if len(tok) >= 3 and tok[0].isascii() and tok[0].isalpha():
            w = "<" + tok + ">"
            for n in (3, 4, 5):
                feats.extend("c" + w[j : j + n] for j in range(len(w) - n + 1))
    feats.append(f"n{min(len(toks), 8)}")
    return feats


def hashed(text: str, dim: int) -> np.ndarray:
    """Sorted unique bucket indices (int32) of a message's features; `dim` must be a power of two."""
    mask = dim - 1
    idx = {zlib.crc32(f.encode("utf-8")) & mask for f in feature_strings(text)}
    return np.fromiter(sorted(idx), dtype=np.int32, count=len(idx))
