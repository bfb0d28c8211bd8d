"""Customer profiles: RFM scores and behaviour segment, needs from what they wrote, favourite categories, price band.

RFM scores are quintiles (1-5) among the customers who ordered in the window: recency (newer scores higher),
frequency (orders) and monetary value (spend), ties scored alike. The segment is the standard RFM map over the
recency and frequency scores (champions, loyal, potential loyalists, new, promising, need attention, about to sleep,
at risk, can't lose them, hibernating); a customer without an order is `no_orders`. Needs are the need tagger's tags
(`needs`) over their reviews and chat messages, counted per text, with the words that fired most often, so a reader
can check why. Plain data in and out; the store builds the histories (`server.db.behaviour`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from tools.marketing.insight.behaviour import CustomerHistory
from tools.marketing.insight.needs import NeedTagger, shared_tagger
from tools.marketing.segments import HIGH_BAND, LOW_BAND

PriceBand = Literal["low", "mid", "high", "unknown"]
# (recency score pattern, frequency score pattern) -> segment; the first match wins (the usual RFM grid).
SEGMENT_MAP: tuple[tuple[str, str], ...] = (
    (r"[1-2][1-2]", "hibernating"),
    (r"[1-2][3-4]", "at_risk"),
    (r"[1-2]5", "cant_lose"),
    (r"3[1-2]", "about_to_sleep"),
    (r"33", "need_attention"),
    (r"[3-4][4-5]", "loyal"),
    (r"41", "promising"),
    (r"51", "new"),
    (r"[4-5][2-3]", "potential_loyalist"),
    (r"5[4-5]", "champions"),
)
SEGMENTS = (*tuple(name for _, name in SEGMENT_MAP), "no_orders")
EXAMPLE_WORDS = 3
TOP_CATEGORIES = 3


@dataclass(frozen=True, slots=True)
class Rfm:
    recency_days: float
    frequency: int
    monetary: float
    r: int
    f: int
    m: int

    @property
    def code(self) -> str:
        return f"{self.r}{self.f}{self.m}"


@dataclass(frozen=True, slots=True)
class NeedCount:
    """How many of the customer's texts showed the need, and the cue words seen most."""

    tag: str
    count: int
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Profile:
    customer_id: str
    rfm: Rfm | None
    segment: str
    needs: list[NeedCount] = field(default_factory=list)
    categories: list[tuple[str, int]] = field(default_factory=list)  # (category, items bought), most first
    price_band: PriceBand = "unknown"
    price_position: float | None = None
    reviews: int = 0
    mean_rating: float | None = None

    def top_need(self) -> str | None:
        return self.needs[0].tag if self.needs else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "segment": self.segment,
            "rfm": None if self.rfm is None else {
                "recency_days": round(self.rfm.recency_days, 1), "frequency": self.rfm.frequency,
                "monetary": round(self.rfm.monetary, 2), "r": self.rfm.r, "f": self.rfm.f, "m": self.rfm.m,
                "code": self.rfm.code},
            "needs": [{"tag": n.tag, "count": n.count, "words": list(n.words)} for n in self.needs],
            "categories": [{"category": c, "items": k} for c, k in self.categories],
            "price_band": self.price_band,
            "price_position": None if self.price_position is None else round(self.price_position, 3),
            "reviews": self.reviews,
            "mean_rating": None if self.mean_rating is None else round(self.mean_rating, 2),
        }


def quintile_scores(values: dict[str, float], *, higher_is_better: bool = True) -> dict[str, int]:
    """1-5 by quintile of rank; equal values share the score of their mean rank."""
    if not values:
        return {}
    ordered = sorted(values.items(), key=lambda kv: kv[1])
    n = len(ordered)
    out: dict[str, int] = {}
    i = 0
    while i < n:
        j = i
        while j + 1 < n and ordered[j + 1][1] == ordered[i][1]:
            j += 1
        pct = ((i + j) / 2 + 0.5) / n  # mean rank of the tie group, as a share in (0, 1)
        score = min(5, int(pct * 5) + 1)
        for k in range(i, j + 1):
            out[ordered[k][0]] = score if higher_is_better else 6 - score
        i = j + 1
    return out


def rfm_scores(histories: Iterable[CustomerHistory], now: datetime) -> dict[str, Rfm]:
    """RFM of every customer with an order before `now`, scored against each other."""
    raw: dict[str, tuple[float, int, float]] = {}
    for h in histories:
        orders = [o for o in h.orders if o.at < now]
        if orders:
            last = max(o.at for o in orders)
            raw[h.customer_id] = ((now - last).total_seconds() / 86400, len(orders), sum(o.total for o in orders))
    return rfm_of(raw)


def rfm_of(raw: dict[str, tuple[float, int, float]]) -> dict[str, Rfm]:
    """RFM of every customer from their (recency days, orders, spend), scored against each other."""
    r = quintile_scores({c: v[0] for c, v in raw.items()}, higher_is_better=False)
    f = quintile_scores({c: float(v[1]) for c, v in raw.items()})
    m = quintile_scores({c: v[2] for c, v in raw.items()})
    return {c: Rfm(v[0], v[1], v[2], r[c], f[c], m[c]) for c, v in raw.items()}


def segment_of(rfm: Rfm | None) -> str:
    if rfm is None:
        return "no_orders"
    key = f"{rfm.r}{rfm.f}"
    return next(name for pattern, name in SEGMENT_MAP if re.fullmatch(pattern, key))


def need_counts(history: CustomerHistory, tagger: NeedTagger | None = None) -> list[NeedCount]:
    """Needs over the customer's reviews and messages: texts per tag, most first, with the words seen most."""
    tagger = tagger or shared_tagger()
    texts: Counter[str] = Counter()
    words: dict[str, Counter[str]] = {}
    for t in [*history.reviews, *history.messages]:
        for tag in tagger.tag(t.text, t.language):
            texts[tag.tag] += 1
            words.setdefault(tag.tag, Counter()).update(tag.words)
    order = {tag: i for i, tag in enumerate(tagger.tags)}
    ranked = sorted(texts, key=lambda tag: (-texts[tag], order.get(tag, 99)))
    return [NeedCount(tag, texts[tag], tuple(w for w, _ in words[tag].most_common(EXAMPLE_WORDS))) for tag in ranked]


def price_band(position: float | None) -> PriceBand:
    if position is None:
        return "unknown"
    return "high" if position >= HIGH_BAND else "low" if position <= LOW_BAND else "mid"


def build_profile(history: CustomerHistory, rfm: Rfm | None, tagger: NeedTagger | None = None) -> Profile:
    bought: Counter[str] = Counter()
    positions: list[float] = []
    for o in history.orders:
        bought.update(o.categories)
        positions += o.price_positions
    position = sum(positions) / len(positions) if positions else None
    ratings = [r.rating for r in history.reviews if r.rating is not None]
    return Profile(
        customer_id=history.customer_id,
        rfm=rfm,
        segment=segment_of(rfm),
        needs=need_counts(history, tagger),
        categories=sorted(bought.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CATEGORIES],
        price_band=price_band(position),
        price_position=position,
        reviews=len(ratings),
        mean_rating=sum(ratings) / len(ratings) if ratings else None,
    )
