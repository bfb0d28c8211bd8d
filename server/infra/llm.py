"""Choose and build the LLM backend from settings (KEFU_LLM=none|local|openai).

The service must answer even without an LLM: a missing llama_cpp build, model file or httpx
package is logged and gives `None`, and the pipeline then answers with templates.
"""

from __future__ import annotations

import importlib
import logging

from agent.breaker import CircuitBreaker
from agent.llm import GuardedLLM, LocalLlamaLLM, OpenAICompatibleLLM
from agent.llm.local import quiet_openmp
from agent.protocols import LLM, SentimentJudge
from server.infra.llm_model import ModelInstallError, ensure_local_model
from server.settings import Settings

log = logging.getLogger(__name__)


def _importable(module: str, hint: str) -> bool:
    try:
        importlib.import_module(module)
    except (ImportError, OSError, RuntimeError) as exc:  # OSError: a build whose shared library is broken
        log.warning("LLM disabled, answering with templates: cannot import %s (%s); %s", module, exc, hint)
        return False
    return True


def build_llm(settings: Settings) -> LLM | None:
    """A guarded backend (every failure → `LLMUnavailable`), or None for templates only.

    Blocking: with KEFU_LLM=local the first start assembles and verifies the 1.1 GB model
    (~10–20 s, once); call it from startup code, off the event loop.
    """
    inner: LLM
    if settings.llm.backend == "none":
        return None
    if settings.llm.backend == "openai":
        if not _importable("httpx", "pip install httpx"):
            return None
        inner = OpenAICompatibleLLM(
            settings.llm.base_url,
            settings.llm.model,
            api_key=settings.llm.api_key.get_secret_value(),
            timeout=settings.llm.timeout_s,
        )
    else:
        quiet_openmp()  # before llama.cpp's library loads
        if not _importable("llama_cpp", "run `make llm` to build llama-cpp-python"):
            return None
        try:
            path = ensure_local_model(settings.llm.model_path)
        except (ModelInstallError, OSError) as exc:
            log.warning("LLM disabled, answering with templates: %s", exc)
            return None
        inner = LocalLlamaLLM(path, n_ctx=settings.llm.context_tokens, n_threads=settings.llm.threads)
    return GuardedLLM(
        inner,
        timeout_s=settings.llm.timeout_s,
        first_token_timeout_s=settings.llm.first_token_timeout_s,
        stall_timeout_s=settings.llm.stall_timeout_s,
        max_concurrency=settings.llm.max_concurrency,
        context_tokens=settings.llm.context_tokens,
        breaker=CircuitBreaker(f"llm {inner.name}", failures=settings.llm.breaker_failures,
                               reset_s=settings.llm.breaker_reset_s),
        slow_after_s=settings.llm.slow_after_s,
    )


def local_sentiment_judge(settings: Settings, *, required: bool = False) -> SentimentJudge | None:
    """The bundled model as the affect judge (its own small context), or None where llama_cpp or the model
    file is missing. `required` assembles the model file if needed (blocking, ~10-20 s once)."""
    quiet_openmp()
    if not _importable("llama_cpp", "run `make llm` to build llama-cpp-python"):
        return None
    from agent.llm.judge import LocalSentimentJudge

    try:
        path = ensure_local_model(settings.llm.model_path) if required else settings.llm.model_path
        return LocalSentimentJudge(path, n_threads=settings.llm.threads, wait_s=settings.affect.judge_wait_s)
    except (ModelInstallError, OSError) as exc:
        log.warning("sentiment judge disabled: %s", exc)
        return None


def build_sentiment_judge(settings: Settings) -> SentimentJudge | None:
    """KEFU_AFFECT_JUDGE=local attaches the judge to the service's affect reader; none (default) does not."""
    if settings.affect.judge == "none":
        return None
    return local_sentiment_judge(settings, required=True)
