"""The intent classifier's feature templates, shared by training and inference (hashed by `agent.ngrams`).

Features, all binary:
token 1-3-grams (a CJK character is a token, so Chinese gets character n-grams), character 3-5-grams
inside Latin words (robust to English typos), and a coarse length bucket (short replies are social).
Order ids, phone numbers and long digit runs become placeholder tokens so ids do not become features.
"""

from __future__ import annotations

import re

import numpy as np

from agent.language import CJK_CHARS
from agent.ngrams import binary_features, fold

FEATURE_VERSION = 1

_ORDER_ID = re.compile(r"kf[\s#:：\-]*(?:\d\s?){7}\d", re.IGNORECASE)
_LONG_DIGITS = re.compile(r"\d{5,}")
_DIGIT = re.compile(r"\d")
_TOKEN = re.compile(rf"[a-z][a-z']*|\d+|[{CJK_CHARS}]|[^\sa-z\d\u3400-\u9fff]", re.IGNORECASE)


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), lower case, ids and digits to placeholders."""
    text = fold(text)
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
    return binary_features(feature_strings(text), dim.bit_length() - 1)
