"""Which product a customer means by "这个和什么搭配" / "what goes with this": the one they name, else the one they
last looked at, added or were shown in this conversation. Plain data in (text, shelf rows, the conversation's
events), a product id out."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

from agent.events import Event, ProductInteracted, RecommendationShown
from tools.commerce.ports import ProductView

MIN_NAME_CHARS = 3  # shorter names ("X1") match inside too many words


def named_product(
    text: str, products: Sequence[ProductView], *, owned: Collection[str] = (),
    popularity: Mapping[str, float] | None = None,
) -> str | None:
    """The product the text names by its model ("iPhone 16") or full name, the longest name matched winning
    ("iPhone 16 Pro" over "iPhone 16"); among products sharing it, one the customer owns, then the best seller."""
    folded = text.casefold()
    popularity = popularity or {}
    found: list[tuple[int, bool, float, str]] = []
    for p in products:
        names = {str(p.attributes.get("model") or ""), p.name_zh, p.name_en}
        hit = max((len(n) for n in names if len(n) >= MIN_NAME_CHARS and n.casefold() in folded), default=0)
        if hit:
            found.append((hit, p.product_id in owned, popularity.get(p.product_id, 0.0), p.product_id))
    return max(found)[3] if found else None


def last_subject(events: Iterable[Event]) -> str | None:
    """The product the customer last interacted with, or the first of the last list they were shown, whichever
    came later."""
    subject: str | None = None
    for event in events:
        if isinstance(event, ProductInteracted):
            subject = event.product_id
        elif isinstance(event, RecommendationShown) and event.product_ids:
            subject = event.product_ids[0]
    return subject


def chosen(events: Iterable[Event]) -> set[str]:
    """Products the customer added to the cart or bought in this conversation (as good as owned)."""
    return {e.product_id for e in events if isinstance(e, ProductInteracted) and e.kind in ("added_to_cart",
                                                                                          "purchased")}
