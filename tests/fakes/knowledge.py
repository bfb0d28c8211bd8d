"""Retrieval without a model: a keyword retriever for pipeline tests and a hashing embedder for index tests."""

from __future__ import annotations

import hashlib

import numpy as np

from agent.protocols import Passage


class KeywordRetriever:
    """Finds a passage when one of its keywords occurs in the query (exact, for unit tests)."""

    def __init__(self) -> None:
        self.passages = [
            (("退货", "return"), Passage("returns", "退换货政策", "zh", "自签收之日起7天内可申请7天无理由退货。", 1.0)),
            (
                ("return",),
                Passage(
                    "returns",
                    "Returns and refunds",
                    "en",
                    "You can return items within 7 days of delivery without giving a reason.",
                    1.0,
                ),
            ),
            (("发票", "invoice"), Passage("payment", "支付与发票", "zh", "电子发票在签收后24小时内开具。", 1.0)),
        ]

    def search(self, query: str, *, k: int = 3, language: str | None = None) -> list[Passage]:
        out = [p for keys, p in self.passages if any(key in query.lower() for key in keys)]
        same = [p for p in out if p.language == language]
        return (same or out)[:k]


class HashEmbedder:
    """Deterministic bag-of-tokens vectors: texts sharing tokens are similar. Fast and model-free."""

    name = "hash"
    model_id = "hash-v1"
    dim = 64

    def _embed(self, texts: list[str]) -> np.ndarray:
        from knowledge.tokens import tokenize

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokenize(text):
                digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)
