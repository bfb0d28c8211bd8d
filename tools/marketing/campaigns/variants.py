"""Copy variants of an offer line: the words that put a campaign to one customer, per shopper segment.

A variant is an angle on the same offer (`ANGLES`): `plain` states it, `limited_time` leads with its end date (for
the price-sensitive: a discount that will not last), `quality` with what the customer would buy being new and
genuine (for the quality-sensitive; the store's policy says everything it sells is). Each segment
(`tools.marketing.segments`) has its own angle first and the others to compete with it (`SEGMENT_ANGLES`): an offer
bandit may choose among `variants_for(...)`; without one, the segment's own angle is shown.

Every variant has a template line (zh and en, figures from the campaign's rules, never from here). When an LLM is
configured, a `CopyWriter` words each (campaign, segment, variant, language) once, off the turn path: the first
request of a key queues it for a background worker and gets the template; later requests get the LLM's line once
it is written and has passed the grounding guard (every figure checked against the campaign; the writer returns
None otherwise and the template stays). Lines are cached by the campaign's terms too, so an edited campaign is
worded afresh and never shown with old figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from tools.marketing.campaigns.rules import Campaign
from tools.marketing.campaigns.wording import Names, day, offer_text, validity_text

log = logging.getLogger(__name__)

ANGLES = ("plain", "limited_time", "quality")
# Each segment's angles, its own first (what is shown when nothing chooses among them).
SEGMENT_ANGLES: dict[str, tuple[str, ...]] = {
    "price_sensitive": ("limited_time", "plain"),
    "quality_sensitive": ("quality", "plain"),
    "default": ("plain", "limited_time", "quality"),
}
NAMES_TTL_S = 300.0  # category names are re-read this often (a new category shows up without a restart)
TEMPLATES_KEPT = 4096  # template lines kept worded (a few per live campaign, segment angle and language)
RETRY_AFTER_S = 600.0  # a key the writer could not word is not asked again before this
MAX_LINES = 2048  # cached LLM lines (least recently used dropped)

LINES: dict[str, dict[str, str]] = {
    "zh": {
        "plain": "「{name}」{offer}{validity}",
        "limited_time": "「{name}」限时进行中，{end}截止：{offer}{validity}",
        "quality": "「{name}」{offer}{validity}，{what}都是全新正品，买得放心",
        "what_all": "本店商品",
        "join": "、",
    },
    "en": {
        "plain": "“{name}”: {offer}{validity}",
        "limited_time": "“{name}” is on for a limited time, until {end}: {offer}{validity}",
        "quality": "“{name}”: {offer}{validity}; the {what} we sell are all new and genuine",
        "what_all": "items",
        "join": ", ",
    },
}


@dataclass(frozen=True, slots=True)
class Variant:
    """One way to say an offer: `id` is its angle, `text` the line (the LLM's once written, else the template)."""

    id: str
    campaign_id: str
    segment: str
    language: str
    text: str
    source: Literal["template", "llm"]


@dataclass(frozen=True, slots=True)
class CopyRequest:
    """What a writer words: the campaign, for whom (`segment`), from which angle (`variant`), in which language;
    `template` is the line it replaces (the facts it must keep); `categories` names the rules' categories."""

    campaign: Campaign
    segment: str
    variant: str
    language: str
    template: str
    categories: Names


@runtime_checkable
class CopyWriter(Protocol):
    """Words an offer line through an LLM; None when it could not (no answer in time, or a line the grounding
    guard refused). The server implements it (`agent.tasks.offer_copy`)."""

    async def write(self, request: CopyRequest) -> str | None: ...


def angles_for(segment: str) -> tuple[str, ...]:
    return SEGMENT_ANGLES.get(segment, SEGMENT_ANGLES["default"])


_TERMS = {"name_zh", "name_en", "starts_at", "ends_at", "rules", "segments"}


def terms_key(campaign: Campaign) -> str:
    """A digest of what a line may state (names, window, rules, audience): a changed campaign is worded afresh.
    (pydantic's own JSON, in field order: a third of the CPU of `model_dump` + `json.dumps`; the digest only keys
    this process's caches, so it need not match another version's.)"""
    return hashlib.sha256(campaign.model_dump_json(include=_TERMS).encode()).hexdigest()[:16]


def template_line(campaign: Campaign, variant: str, language: str, names: Names, *, tz: str = "Asia/Shanghai") -> str:
    """The variant's line from the campaign's rules, in zh or en."""
    lang = "zh" if language == "zh" else "en"
    words = LINES[lang]
    rules = campaign.rules
    validity = validity_text(campaign, lang, tz) if rules.type == "coupon" else ""
    index = 0 if lang == "zh" else 1
    scope = [names.get(k, (k, k))[index] for k in rules.categories]  # (products by id would read badly)
    what = words["join"].join(w if lang == "zh" else w.lower() for w in scope) if scope else words["what_all"]
    return words[variant if variant in ANGLES else "plain"].format(
        name=campaign.name(lang), offer=offer_text(campaign, names, lang, tz=tz), validity=validity,
        end=day(campaign.ends_at, lang, tz), what=what)


Key = tuple[str, str, str, str, str]  # campaign id, terms, segment, variant, language


class VariantBook:
    """The copy variants of every campaign, per segment and language: templates at once, LLM lines once written.

    `variants_for` is thread-safe and never waits for an LLM. Background writing needs `start()` (awaited on the
    event loop, e.g. by the first tool that asks for variants); without a writer, or before `start`, every variant
    is its template.
    """

    def __init__(self, names: Callable[[], Names], *, writer: CopyWriter | None = None,
                 tz: str = "Asia/Shanghai") -> None:
        self._names_source = names
        self._names: tuple[float, Names] | None = None
        self._writer = writer
        self._tz = tz
        self._lock = threading.Lock()
        self._lines: OrderedDict[Key, str] = OrderedDict()
        # template lines by (campaign id, terms, variant, language, when the category names were read): each offers
        # answer words every live campaign, and its template only changes with the terms or the names
        self._templates: dict[tuple[str, str, str, str, float], str] = {}
        self._queued: set[Key] = set()
        self._failed: dict[Key, float] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[tuple[Key, CopyRequest]] | None = None
        self._worker: asyncio.Task[None] | None = None

    # --- what tools (and an offer bandit) read ---------------------------------------------------------------

    def variants_for(self, campaign: Campaign, segment: str, language: str) -> list[Variant]:
        """The campaign's variants for this segment, its own angle first. Blocking the first time (category names
        from the store): call it off the event loop."""
        lang = "zh" if language == "zh" else "en"
        names_at, names = self._names_read()
        terms = terms_key(campaign)
        out = []
        for angle in angles_for(segment):
            key: Key = (campaign.id, terms, segment, angle, lang)
            template = self._template(campaign, terms, angle, lang, names_at, names)
            with self._lock:
                written = self._lines.get(key)
                if written is not None:
                    self._lines.move_to_end(key)
            if written is None:
                self._want(key, CopyRequest(campaign, segment, angle, lang, template, names))
            out.append(Variant(angle, campaign.id, segment, lang, written or template,
                               "llm" if written else "template"))
        return out

    def names(self) -> Names:
        """Category key → (zh, en) name, re-read every `NAMES_TTL_S`."""
        return self._names_read()[1]

    def _names_read(self) -> tuple[float, Names]:
        """The names and when they were read (which keys the template lines worded with them)."""
        now = time.monotonic()
        cached = self._names
        if cached is None or now - cached[0] > NAMES_TTL_S:
            cached = (now, dict(self._names_source()))
            self._names = cached
        return cached

    def _template(self, campaign: Campaign, terms: str, angle: str, lang: str, names_at: float, names: Names) -> str:
        key = (campaign.id, terms, angle, lang, names_at)
        line = self._templates.get(key)
        if line is None:
            line = template_line(campaign, angle, lang, names, tz=self._tz)
            if len(self._templates) >= TEMPLATES_KEPT:  # old terms and names: cheap to word again
                self._templates.clear()
            self._templates[key] = line
        return line

    # --- background writing ------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the background writer on the running loop (idempotent; nothing to start without a writer)."""
        loop = asyncio.get_running_loop()
        if self._writer is None or (self._worker is not None and self._loop is loop and not self._worker.done()):
            return
        with self._lock:
            self._queued.clear()  # (what an earlier loop had queued is gone with it)
        self._loop = loop
        self._queue = asyncio.Queue()
        self._worker = loop.create_task(self._work(), name="offer-copy-writer")

    async def drain(self) -> None:
        """Until every queued line is written or given up (for tests and the start-up warm-up)."""
        if self._queue is not None:
            await self._queue.join()

    async def aclose(self) -> None:
        """Stop the background writer (lines being written are dropped; the templates stay)."""
        worker, self._worker = self._worker, None
        if worker is None:
            return
        worker.cancel()
        if self._loop is asyncio.get_running_loop():
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    def _want(self, key: Key, request: CopyRequest) -> None:
        """Queue a line for writing, unless it is queued, failed lately, or nothing writes."""
        loop, queue = self._loop, self._queue
        if self._writer is None or loop is None or queue is None or loop.is_closed():
            return
        with self._lock:
            if key in self._queued or time.monotonic() - self._failed.get(key, -RETRY_AFTER_S) < RETRY_AFTER_S:
                return
            self._queued.add(key)
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            queue.put_nowait((key, request))
        else:
            loop.call_soon_threadsafe(queue.put_nowait, (key, request))

    async def _work(self) -> None:
        """Write queued lines one at a time (one local model serves one generation at a time)."""
        assert self._queue is not None and self._writer is not None
        while True:
            key, request = await self._queue.get()
            try:
                text = await self._writer.write(request)
            except Exception:  # a writer that fails costs the customer nothing: the template stays
                log.exception("offer copy for %s (%s, %s) failed", request.campaign.id, request.variant,
                              request.language)
                text = None
            try:
                with self._lock:
                    self._queued.discard(key)
                    if text:
                        self._lines[key] = text
                        while len(self._lines) > MAX_LINES:
                            self._lines.popitem(last=False)
                    else:
                        self._failed[key] = time.monotonic()
            finally:
                self._queue.task_done()
