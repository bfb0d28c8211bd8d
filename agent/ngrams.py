"""The one hashed n-gram featuriser: text folding and feature hashing shared by the intent and affect models.

Why hashing: no vocabulary to store or keep in sync, a fixed-size weight matrix, and unseen words (typos,
pinyin abbreviations, new product names) still land somewhere. The hash is CRC-32, stable across
processes, platforms and Python versions (Python's `hash` is salted). Each model chooses its own feature
templates (`agent.nlu.features`, `agent.affect.features`) and its weighting: binary for intents, log term
frequency, L2-normalised, for affect.
"""

from __future__ import annotations

import math
import unicodedata
import zlib
from collections.abc import Iterable

import numpy as np


def fold(text: str) -> str:
    """NFKC (full-width to half-width, compatibility forms) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def hashes(features: Iterable[str]) -> list[int]:
    """Each feature's full CRC-32: one text's features hashed once for models of several sizes (`Hashed`)."""
    return [zlib.crc32(feat.encode("utf-8")) for feat in features]


class Hashed(list[int]):
    """Features already hashed (`hashes`): what `bucket_counts` and `logtf_features` take in place of the strings."""


def bucket_counts(features: Iterable[str] | Hashed, bits: int) -> dict[int, int]:
    """How many features fell into each of the 2**bits buckets."""
    mask = (1 << bits) - 1
    counts: dict[int, int] = {}
    if isinstance(features, Hashed):
        for full in features:
            h = full & mask
            counts[h] = counts.get(h, 0) + 1
        return counts
    for feat in features:
        h = zlib.crc32(feat.encode("utf-8")) & mask
        counts[h] = counts.get(h, 0) + 1
    return counts


def binary_features(features: Iterable[str], bits: int) -> np.ndarray:
    """Sorted unique bucket indices (int32): a feature is there or not."""
    counts = bucket_counts(features, bits)
    return np.fromiter(sorted(counts), dtype=np.int32, count=len(counts))


def logtf_features(features: Iterable[str] | Hashed, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Bucket indices (sorted, unique, int64) and their log-tf values, L2-normalised (float32)."""
    counts = bucket_counts(features, bits)
    if not counts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    idx = np.fromiter(sorted(counts), dtype=np.int64, count=len(counts))
    val = np.log1p(np.fromiter((counts[int(i)] for i in idx), dtype=np.float32, count=len(idx)))
    val /= np.float32(math.sqrt(float(val @ val)))
    return idx, val
