"""Start `python -m llama_cpp.server` with the bundled model on 127.0.0.1 (a free port), for tests and benches.

`llama_server()` yields the running process and its `/v1` base URL and stops it afterwards (if a test has
not killed it already). Skips when llama_cpp or the assembled model is missing (`make llm`), except under
CI, where it fails: CI must exercise the real model.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path

import pytest

from tests.plugin import audited_log
from tests.services import stop, wait_for_http

ROOT = Path(__file__).resolve().parents[3]
MODEL = Path(os.environ.get("KEFU_LLM_MODEL_PATH", "var/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"))
MODEL = MODEL if MODEL.is_absolute() else ROOT / MODEL
START_TIMEOUT_S = 120


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the local LLM: `make llm`)")
    pytest.skip(reason)


def require_model() -> None:
    if find_spec("llama_cpp") is None:
        unavailable("llama_cpp is not installed (`make llm` builds it)")
    if not MODEL.is_file():
        unavailable(f"no model at {MODEL} (`make llm` assembles it)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def llama_server(log_dir: Path, n_ctx: int = 4096) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    require_model()
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(MODEL),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_threads",
        "2",
        "--n_ctx",
        str(n_ctx),
        "--chat_format",
        "chatml-function-calling",
    ]
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    # ~200 kB of load logs would fill a pipe; the file is in the run's audited log folder (linked from log_dir)
    log = audited_log(log_dir / f"llama-server-{port}.log")
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/v1/models", proc, log, START_TIMEOUT_S, "llama_cpp.server")
        yield proc, f"http://127.0.0.1:{port}/v1"
    finally:
        stop(proc, timeout_s=20)


def real_pipeline(
    base_url: str,
    tokens: list[str],
    *,
    force: bool = True,
    propose_when: str = "always",
    timeout_s: float = 240,
    stall_s: float = 60,
    on_delta: Callable[[str], None] | None = None,
    temperature: float = 0.0,
):
    """The whole turn pipeline (memory store, fake orders of customer C1) over the server at `base_url`;
    streamed deltas land in `tokens` (what the widget gets as `bot_token` frames). Tests word replies at
    temperature 0 (greedy, repeatable); production's 0.3 varies the wording and, measured, lets about one en
    reply in eight state something the guard refuses (the template then answers)."""
    from agent.llm import GuardedLLM, OpenAICompatibleLLM
    from agent.nlu import NLU
    from tests.fakes import make_agent

    llm = GuardedLLM(
        OpenAICompatibleLLM(base_url, "local", timeout=timeout_s, temperature=temperature),
        timeout_s=timeout_s,
        first_token_timeout_s=min(180, timeout_s),
        stall_timeout_s=stall_s,
    )
    return make_agent(
        llm=llm, proposer=llm, propose_when=propose_when, force=force, nlu=NLU(), tokens=tokens, on_delta=on_delta
    )
