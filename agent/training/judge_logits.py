"""LLM judge logits for training the judge stage, cached on disk by judge and text.

A judge logit is a pure function of the judge (model file and prompt: its `judge_id`) and the text, so a
cache keyed by both changes no result. The first English run costs ~0.5 s a sentence (~20 min for the
train split); later retrains read the cache.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from agent.training.e5_embed import Progress, default_cache_dir

SAVE_EVERY = 100  # sentences between cache writes, so an interrupted first run keeps its work


def _key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def cache_path(judge_id: str, cache_dir: Path | None = None) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", judge_id)
    return (cache_dir or default_cache_dir()) / f"judge_{safe}.npz"


def _read(path: Path) -> dict[str, float]:
    if not path.is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as z:
            return dict(zip((str(k) for k in z["keys"]), (float(v) for v in z["logits"]), strict=True))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return {}  # a damaged cache is only a slower run


def _write(path: Path, logits: dict[str, float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = sorted(logits)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp.npz")  # two runs at once never share a temp file
    np.savez(tmp, keys=np.array(keys), logits=np.array([logits[k] for k in keys], dtype=np.float64))
    tmp.replace(path)


def judge_logits(texts: Sequence[str], judge: Any, progress: Progress, *, cache_dir: Path | None = None) -> np.ndarray:
    """(n,) judge logits of `texts` (`judge` has `judge_id` and `judge_many(texts)`), cached per judge."""
    path = cache_path(judge.judge_id, cache_dir)
    cached = _read(path)
    keys = [_key(t) for t in texts]
    todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cached}.items())
    if todo:
        bar = iter(progress(range(len(todo)), "LLM judge", len(todo)))
        for start in range(0, len(todo), SAVE_EVERY):
            chunk = todo[start : start + SAVE_EVERY]
            for (key, _), z in zip(chunk, judge.judge_many([t for _, t in chunk]), strict=True):
                cached[key] = z
                next(bar, None)
            _write(path, cached)
    return np.array([cached[k] for k in keys], dtype=np.float64)
