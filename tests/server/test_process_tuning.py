"""How a served process is tuned for its 2 shared cores: BLAS on one thread (a threaded OpenBLAS spins on the turns'
small matrices: one 256x256 inverse took 45-68 ms of CPU threaded, 2.8 ms on one thread), and the start-up heap
frozen out of the garbage collector's full collections (which walked it for ~750 ms with the event loop stopped), and
young collections made rarer (fewer of a turn's objects promoted, so fewer full collections)."""

from __future__ import annotations

import gc

import pytest
from threadpoolctl import threadpool_info

from server.infra.native_threads import one_blas_thread
from server.runtime import YOUNG_GC_THRESHOLD, Runtime

pytestmark = pytest.mark.unit


def test_blas_runs_on_one_thread_after_the_runtime_limits_it() -> None:
    one_blas_thread()
    one_blas_thread()  # idempotent
    blas = [info for info in threadpool_info() if info["user_api"] == "blas"]
    assert blas, "numpy's BLAS is loaded"
    assert all(info["num_threads"] == 1 for info in blas), blas


def test_settling_the_heap_takes_what_start_up_built_out_of_full_collections() -> None:
    start_up = [{"vocabulary": [str(i)]} for i in range(50_000)]  # long-lived containers, as models hold
    before, thresholds = len(gc.get_objects()), gc.get_threshold()
    try:
        Runtime.settle_heap()
        assert gc.get_freeze_count() >= len(start_up)
        assert len(gc.get_objects()) < before - len(start_up)  # what a full collection still walks
        # young collections rarer: a turn's short-lived objects die before one, instead of being promoted
        assert gc.get_threshold() == (YOUNG_GC_THRESHOLD, *thresholds[1:]) and thresholds[0] < YOUNG_GC_THRESHOLD
    finally:
        gc.unfreeze()  # (this test process goes on creating and dropping runtimes)
        gc.set_threshold(*thresholds)
    assert start_up[-1]["vocabulary"] == ["49999"]
