"""One BLAS thread per process of the service.

The turns' numpy work is small (the re-ranking bandit's 256-wide covariance: a Woodbury update on every list served,
an inverse now and then; the affect and intent models' products). OpenBLAS threads such work across every core, and
on a 2-core machine that already runs the event loop, the model threads and the database threads, its threads spin
waiting for each other: measured here, one 256x256 inverse took 45-68 ms of CPU with OpenBLAS's default threads and
2.8 ms with one. The service's parallelism is its turns, not one matrix.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)
_limited: object | None = None  # the process-wide limit once set (it holds until restored; nothing restores it)


def one_blas_thread() -> None:
    """Limit every BLAS library loaded in this process (numpy's OpenBLAS, scipy's) to one thread; idempotent.
    Called when the runtime is built, after numpy is imported (the limit applies to libraries already loaded)."""
    global _limited
    if _limited is not None:
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # (a dependency of scikit-learn, so normally present): BLAS keeps its own default
        log.warning("threadpoolctl is missing: BLAS libraries keep their default thread count")
        return
    import numpy  # noqa: F401  (loads OpenBLAS, so the limit reaches it)

    _limited = threadpool_limits(limits=1, user_api="blas")
