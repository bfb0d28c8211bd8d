"""Builds the runtime from settings: database, repositories, knowledge index, tools, agent, pub/sub.

The only place that chooses implementations for the agent's ports.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from agent.affect import TextAffect
from agent.breaker import CircuitBreaker
from agent.events import Event
from agent.nlg import TemplateNLG
from agent.nlg.llm_wording import LLMResponder
from agent.nlu import NLU
from agent.pipeline import Agent
from agent.proposals import ToolProposer
from agent.protocols import LLM, Retriever, Tool
from agent.state import DialogueState
from prompts.render import warm_up as warm_templates
from server.channels.budget import FrameBudget, unlimited
from server.channels.frames import event_frame
from server.db.catalog import SqlProductCatalog
from server.db.conversations import ConversationRepository
from server.db.customers import CustomerRepository
from server.db.engine import make_engine, make_session_factory
from server.db.events import SqlEventStore
from server.db.experiments import ExperimentRepository
from server.db.identities import SqlIdentityStore
from server.db.migrate import upgrade
from server.db.offer_log import offer_trials
from server.db.offers import SqlCampaignStore
from server.db.operators import OperatorRepository
from server.db.orders import SqlOrderRepository
from server.db.purchases import SqlShopperData
from server.identity import CustomerIdentity, load_identity
from server.infra.admission import TurnGate
from server.infra.llm import build_llm, build_sentiment_judge
from server.infra.locks import PgTurnLock, is_postgres, migration_lock
from server.infra.metrics import observe_events
from server.infra.native_threads import one_blas_thread
from server.infra.pubsub import FramePubSub, InProcessPubSub
from server.infra.rate_limits import RateLimits, SocketSlots
from server.offer_copy import LLMCopyWriter
from server.operators.accounts import OperatorAuth
from server.operators.feed import ConsoleFeed
from server.operators.insight import CustomerInsight
from server.settings import Settings
from tools.commerce.order_changes import OrderChangeTool
from tools.commerce.orders import OrderStatusTool
from tools.commerce.ports import ProductCatalog
from tools.commerce.product_info import ProductInfoTool
from tools.commerce.product_shelf import ProductShelf
from tools.commerce.products import ProductSearchTool
from tools.commerce.returns import ReturnRequestTool
from tools.marketing.bandit.records import RewardWeights
from tools.marketing.bandit.serving import Reranker
from tools.marketing.campaigns.variants import VariantBook
from tools.marketing.claim_tool import ClaimCouponTool
from tools.marketing.crosssell_tool import CrossSellTool
from tools.marketing.feedback import Feedback
from tools.marketing.live import MemoryLiveSignals
from tools.marketing.offer_bandit import OfferBandit, OfferRewards
from tools.marketing.offer_serving import OfferChooser
from tools.marketing.offers_tool import OffersTool
from tools.marketing.ports import LiveSignals
from tools.marketing.proactive_tool import ProactiveOfferTool
from tools.marketing.recommend_tool import RecommendTool

if TYPE_CHECKING:
    from server.infra.voice import VoiceEngines

log = logging.getLogger(__name__)
_DEFAULT = object()  # build_runtime(llm=…) not given: build the backend the settings choose
YOUNG_GC_THRESHOLD = 20_000  # allocations between young collections in a served process (CPython's default: 700)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    agent: Agent
    conversations: ConversationRepository
    customers: CustomerRepository
    catalog: SqlProductCatalog
    pubsub: FramePubSub  # in-process, or Redis when KEFU_REDIS_URL is set (several workers)
    operators: OperatorRepository
    operator_auth: OperatorAuth
    console: ConsoleFeed  # the operator console's live feed (summaries + the `console` channel)
    identity: CustomerIdentity  # verifies customer signatures and the store backend's API keys
    rate_limits: RateLimits  # per IP and per conversation, in Redis when there is one
    sockets: SocketSlots  # open sockets per IP in this worker
    live: LiveSignals  # the recommender's in-session signal and trending products: in process, or Redis
    feedback: Feedback  # keeps `live` and the re-ranking policy current as events are recorded
    reranker: Reranker | None = None  # the re-ranking bandit (None: KEFU_BANDIT_ENABLED=false)
    offer_chooser: OfferChooser | None = None  # which offer goes first (None: KEFU_OFFERS_BANDIT=false)
    variants: VariantBook | None = None  # offer copy variants per segment (an offer bandit reads `variants_for`)
    retriever: Retriever | None = None
    llm: LLM | None = None
    turn_lock: PgTurnLock | None = None  # across workers on PostgreSQL
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    warmers: tuple[Callable[[], None], ...] = ()  # load a model each (affect, NLU, retriever)
    models_warm: bool = False  # every warmer has run (`warm_up`)
    llm_warm: bool = True  # False while the app warms the LLM up (its outcome, not its success: see `ready`)
    redis_breaker: CircuitBreaker | None = None  # shared by pub/sub, rate limits and live signals (with Redis)
    model_executor: Executor | None = None  # the turns' model work (affect, NLU, embeddings)
    voice_engines: VoiceEngines | None = None  # the phone line's recogniser, voices and VAD (built on first call)
    insight: CustomerInsight | None = None  # customer profiles and churn risk (console, conversation start)
    turn_gate: TurnGate | None = None  # admission of customer turns in this worker (built on first use)

    def voice(self) -> VoiceEngines:
        """The phone line's engines (cheap to build; their models load on the first call that needs them)."""
        if self.voice_engines is None:
            from server.infra.voice import build_voice

            self.voice_engines = build_voice(self.settings.voice)
        return self.voice_engines

    def warm_up(self) -> None:
        """Load every model now (blocking, idempotent). Until then the first turn that needs one loads it."""
        if not self.models_warm:
            for warm in self.warmers:
                warm()
            self.models_warm = True

    @staticmethod
    def settle_heap() -> None:
        """Move what start-up built (models, vocabularies, indexes, modules: ~260k objects) out of the garbage
        collector's reach (`gc.freeze`), and collect the young generation less often. A full collection walks every
        tracked object with the event loop stopped: the start-up heap alone took ~750 ms, and each open socket and
        its conversation add ~200 objects (1,000 sockets: ~250k, ~150-300 ms of CPU a full collection). Full ones
        run when what survived the young collections grew by a quarter; a turn's objects live across its awaits, so
        with collections every 700 allocations many of them survived one and were promoted, and full collections
        came every few seconds under load. Call once, after `warm_up`, in a process that serves (not per test:
        frozen objects are never freed)."""
        gc.collect()
        gc.freeze()
        gc.set_threshold(YOUNG_GC_THRESHOLD, *gc.get_threshold()[1:])

    def pending(self) -> list[str]:
        """What must finish before the service is ready to answer (`/readyz`); empty when ready. An LLM that
        failed its warm-up does not keep the service from answering: replies fall back to templates."""
        return [name for name, done in (("models", self.models_warm), ("llm", self.llm_warm)) if not done]

    def turns(self) -> TurnGate:
        """This worker's admission of customer turns (`KEFU_LIMITS_TURNS_*`)."""
        if self.turn_gate is None:
            conf = self.settings.limits
            self.turn_gate = TurnGate(conf.turns_in_flight, conf.turns_queued, conf.turn_queue_wait_s,
                                      conf.busy_retry_after_ms)
        return self.turn_gate

    def frame_budget(self) -> FrameBudget:
        """A new socket's budget of client frames (never refuses with `KEFU_RATE_LIMITS=off`)."""
        conf = self.settings.limits
        if conf.enabled != "on":
            return unlimited()
        return FrameBudget(rate=conf.socket_frames_per_s, burst=conf.socket_frame_burst)

    def token_sink(self, conversation_id: str) -> Callable[[str], Awaitable[None]]:
        """Where one turn's streamed reply goes: `bot_token` frames on the conversation's channel."""

        async def publish(delta: str) -> None:
            await self.pubsub.publish(conversation_id, {"type": "bot_token", "delta": delta})

        return publish

    def close(self) -> None:
        self.engine.dispose()
        if self.model_executor is not None:
            self.model_executor.shutdown(wait=False, cancel_futures=True)

    async def aclose(self) -> None:
        """`close` plus the connections that live on the event loop (Redis, turn locks)."""
        await self.pubsub.aclose()
        if self.reranker is not None:
            await self.reranker.aclose()  # publishes what this worker learnt last
        await self.live.aclose()
        if self.variants is not None:
            await self.variants.aclose()  # the background writer of offer lines
        if self.turn_lock is not None:
            await self.turn_lock.aclose()
        self.close()


def build_redis_breaker(settings: Settings) -> CircuitBreaker | None:
    """One breaker for every Redis user of the process: once pub/sub finds Redis down, rate limits and live signals
    stop waiting on it too."""
    conf = settings.redis
    return CircuitBreaker("redis", failures=conf.breaker_failures, reset_s=conf.breaker_reset_s) if conf.url else None


def build_pubsub(settings: Settings, breaker: CircuitBreaker | None = None) -> FramePubSub:
    """Redis when configured (required with several workers), else the in-process hub."""
    if settings.redis.url:
        from server.infra.pubsub_redis import RedisPubSub

        return RedisPubSub(settings.redis.url, prefix=settings.redis.prefix, breaker=breaker,
                           outbox_size=settings.redis.publish_queue)
    return InProcessPubSub()


def build_live(settings: Settings, breaker: CircuitBreaker | None = None) -> LiveSignals:
    """The recommender's live signals in Redis when configured (every worker the same), else in process."""
    conf = settings.recommender
    if settings.redis.url:
        from server.infra.live_redis import RedisLiveSignals

        return RedisLiveSignals(settings.redis.url, prefix=settings.redis.prefix, ttl_s=conf.session_ttl_s,
                                tau_s=conf.trend_tau_s, breaker=breaker)
    return MemoryLiveSignals(ttl_s=conf.session_ttl_s, tau_s=conf.trend_tau_s)


def build_reranker(settings: Settings) -> Reranker | None:
    """The re-ranking bandit from its policy file, pooling what workers learn in Redis when configured."""
    conf = settings.bandit
    if not conf.enabled:
        return None
    share = None
    if settings.redis.url:
        from server.infra.live_redis import RedisPolicyShare

        share = RedisPolicyShare(settings.redis.url, prefix=settings.redis.prefix)
    return Reranker(conf.policy_path, share=share, sync_s=conf.sync_s)


def reward_weights(settings: Settings) -> RewardWeights:
    conf = settings.bandit
    return RewardWeights(click=conf.click, add_to_cart=conf.add_to_cart, purchase=conf.purchase)


def build_rate_limits(settings: Settings, breaker: CircuitBreaker | None = None) -> RateLimits:
    conf = settings.limits
    rules = {kind: value for kind in type(conf).model_fields if kind != "enabled"
             and isinstance(value := getattr(conf, kind), str)}  # the moving windows; counts are kept apart
    return RateLimits(rules, enabled=conf.enabled == "on", redis_url=settings.redis.url, prefix=settings.redis.prefix,
                      breaker=breaker)


def build_turn_lock(settings: Settings) -> PgTurnLock | None:
    """Workers sharing PostgreSQL take a conversation's turns one at a time; one process needs no more."""
    if is_postgres(settings.db.url):
        return PgTurnLock(settings.db.url, timeout_s=settings.db.turn_lock_timeout_s,
                          connect_timeout_s=settings.db.connect_timeout_s)
    if settings.redis.url:
        log.warning("KEFU_REDIS_URL is set but the database is not PostgreSQL: turns are serialised per process "
                    "only; run one worker or use PostgreSQL")
    return None


def category_lexicon(catalog: ProductCatalog) -> dict[str, list[str]]:
    """Category key → every zh/en word that names it, for the NLU's slot matcher."""
    return {
        c.key: [*c.keywords_zh, *c.keywords_en, c.name_zh, c.name_en] for c in catalog.categories()
    }


def load_retriever(settings: Settings) -> Retriever:
    """The policy-document index. Built from the bundled documents when absent, and re-embedded when they were
    embedded by another e5 engine (`KEFU_E5_ENGINE` changed); an index that a deployer built with `kefu ingest
    PATH…` is served as it is (rebuild it with that command; under another engine it is refused, not mixed)."""
    from agent.e5 import configure
    from knowledge.base import KnowledgeBase
    from knowledge.index import read_manifest
    from knowledge.ingest import default_docs_dir, index_is_current, ingest

    # before anything embeds
    configure(settings.knowledge.e5_engine, settings.knowledge.e5_onnx_path, settings.knowledge.e5_threads)
    index_dir, embedder = settings.knowledge.index_dir, settings.knowledge.embedder
    try:
        read_manifest(index_dir)
    except FileNotFoundError:
        log.info("building the knowledge index at %s from %s", index_dir, default_docs_dir())
        ingest([default_docs_dir()], index_dir, embedder=embedder)
    else:
        if index_is_current(index_dir) and not index_is_current(index_dir, embedder=embedder):
            log.info("re-embedding the bundled documents' index at %s (another embedder or e5 engine)", index_dir)
            ingest([default_docs_dir()], index_dir, embedder=embedder)
    return KnowledgeBase.load(index_dir, embedder)


def offer_tools(campaigns: SqlCampaignStore, events: SqlEventStore, retriever: Retriever | None,
                tz: str, *, chooser: OfferChooser | None = None,
                experiments: ExperimentRepository | None = None, variants: VariantBook | None = None,
                shelf: ProductShelf | None = None, linked: SqlIdentityStore | None = None) -> list[Tool]:
    """Coupon claims and offers (claims first: their cue words are the more specific); the offers are worded by the
    copy variants of the customer's shopper segment, which compete in the offer bandit with the offers; `shelf` lets
    price talk about a product say which campaigns count it."""
    return [ClaimCouponTool(campaigns, events, tz=tz, experiments=experiments, linked=linked),
            OffersTool(campaigns, events, retriever=retriever, tz=tz, chooser=chooser, experiments=experiments,
                       variants=variants, history=campaigns if variants is not None else None, shelf=shelf,
                       linked=linked)]


def build_offer_chooser(settings: Settings, sessions: sessionmaker[Session],
                        clock: Callable[[], datetime]) -> OfferChooser | None:
    """The offer bandit, rebuilt from the outcome log every `rebuild_s` seconds."""
    conf = settings.offers
    if not conf.bandit:
        return None
    rewards = OfferRewards(claimed=conf.claimed)
    return OfferChooser(OfferBandit(floor=conf.exploration), rewards=rewards, rebuild_s=conf.rebuild_s,
                        history=lambda: offer_trials(sessions, clock(), days=conf.days_back, rewards=rewards))


def build_runtime(
    settings: Settings,
    *,
    clock: Callable[[], datetime] | None = None,
    retriever: Retriever | None = None,
    llm: LLM | object | None = _DEFAULT,
    warm: bool = True,
) -> Runtime:
    """Blocking (migrations, index, models): call at start-up. `llm` defaults to what settings choose."""
    one_blas_thread()  # the turns' matrices are small: a threaded BLAS only spins on a shared 2-core machine
    db = settings.db
    engine = make_engine(db.url, connect_timeout_s=db.connect_timeout_s, statement_timeout_s=db.statement_timeout_s,
                         pool_timeout_s=db.pool_timeout_s)
    with migration_lock(engine):  # several workers start at once
        upgrade(settings.db.url)
    sessions = make_session_factory(engine)
    orders = SqlOrderRepository(sessions)
    catalog = SqlProductCatalog(sessions)
    redis_breaker = build_redis_breaker(settings)
    pubsub = build_pubsub(settings, redis_breaker)
    turn_lock = build_turn_lock(settings)
    conversations = ConversationRepository(sessions)
    customers = CustomerRepository(sessions)
    operators = OperatorRepository(sessions)
    console = ConsoleFeed(pubsub, SqlEventStore(sessions), conversations, customers, operators=operators,
                          cache_size=settings.store.conversation_cache)
    if retriever is None:
        retriever = load_retriever(settings)

    store = SqlEventStore(sessions)
    live = build_live(settings, redis_breaker)
    reranker = build_reranker(settings)
    feedback = Feedback(live, store, reranker, reward_weights(settings))

    offer_chooser = build_offer_chooser(settings, sessions, clock or (lambda: datetime.now(UTC)))

    async def publish(conversation_id: str, events: list[Event], state: DialogueState) -> None:
        observe_events(events)
        await feedback.observe(conversation_id, events)
        if offer_chooser is not None:
            try:
                log_ = await store.load(conversation_id) if offer_chooser.needs_log(events) else None
                offer_chooser.observe(events, log_)
            except Exception:  # the reply and the log must not suffer from the marketing side
                log.exception("offer bandit: learning from %s failed", conversation_id)
        if pubsub.heard(conversation_id):  # (a REST turn's conversation may have no socket anywhere)
            public = state.public()
            names = await console.names.for_events(events)
            for event in events:
                frame = event_frame(event, public, names)
                if frame is not None:
                    await pubsub.publish(conversation_id, frame)
        await console.publish(conversation_id, events)

    affect = TextAffect(judge=build_sentiment_judge(settings))
    nlu = NLU(category_lexicon(catalog))
    shopper = SqlShopperData(sessions, catalog)
    recommend = RecommendTool(shopper, store, model_path=settings.recommender.model_path,
                              live=live, reranker=reranker, trend_weight=settings.recommender.trend_weight)
    cross_sell = CrossSellTool(shopper, store, rules_dir=settings.rules.dir)
    # (cross-sell before recommend: "推荐和这个搭配的" asks for what goes with it, by both tools' cue words)
    shelf = ProductShelf(catalog)
    product_info = ProductInfoTool(shelf)
    tools = [OrderStatusTool(orders), ReturnRequestTool(orders), ProductSearchTool(catalog), product_info, cross_sell,
             recommend]
    tools.append(OrderChangeTool(orders, orders, timezone=settings.store.timezone))  # shipping wishes, cancellations
    campaigns = SqlCampaignStore(sessions)
    tz = settings.store.timezone
    llm = build_llm(settings) if llm is _DEFAULT else llm
    # offer lines per shopper segment: templates at once, worded by the LLM in the background when there is one
    variants = VariantBook(campaigns.category_names, writer=LLMCopyWriter(llm, tz=tz) if llm is not None else None,
                           tz=tz)
    tools += offer_tools(campaigns, store, retriever, tz, chooser=offer_chooser,
                         experiments=ExperimentRepository(sessions), variants=variants, shelf=shelf,
                         linked=SqlIdentityStore(sessions))
    tools.append(ProactiveOfferTool(campaigns, store, variants, history=campaigns, chooser=offer_chooser, tz=tz))

    # the turns' model work gets threads of its own: a burst of turns cannot take every thread database calls use
    model_executor = ThreadPoolExecutor(settings.store.model_threads, thread_name_prefix="kefu-models")
    agent = Agent(
        store=store,
        nlu=nlu,
        affect=affect,
        retriever=retriever,
        tools=tools,
        nlg=TemplateNLG(settings.store.timezone),
        on_events=publish,
        responder=LLMResponder(llm, tz=settings.store.timezone) if llm is not None else None,
        max_text_chars=settings.store.max_message_chars,
        # (tools that only follow up a met need are never proposed: nobody asks for them)
        proposer=ToolProposer(llm, [t for t in tools if getattr(t, "intents", ())]) if llm is not None else None,
        propose_when=settings.llm.tools,
        turn_lock=turn_lock,
        model_executor=model_executor,
        cache_size=settings.store.conversation_cache,
        **({"clock": clock} if clock else {}),
    )
    warmers = [affect.warm_up, nlu.warm_up, recommend.warm_up, cross_sell.warm_up, product_info.warm_up,
               warm_templates]
    warm_up = getattr(retriever, "warm_up", None)
    if callable(warm_up):
        warmers.append(warm_up)
    insight = CustomerInsight(sessions, clock or (lambda: datetime.now(UTC)))  # built on first use (not a warmer)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        agent=agent,
        conversations=conversations,
        customers=customers,
        catalog=catalog,
        pubsub=pubsub,
        operators=operators,
        operator_auth=OperatorAuth(operators),
        console=console,
        identity=load_identity(settings),
        rate_limits=build_rate_limits(settings, redis_breaker),
        sockets=SocketSlots(settings.limits.sockets_per_ip, enabled=settings.limits.enabled == "on"),
        live=live,
        feedback=feedback,
        reranker=reranker,
        offer_chooser=offer_chooser,
        variants=variants,
        retriever=retriever,
        llm=llm,
        turn_lock=turn_lock,
        warmers=tuple(warmers),
        redis_breaker=redis_breaker,
        model_executor=model_executor,
        insight=insight,
    )
    if warm:
        runtime.warm_up()
    return runtime
