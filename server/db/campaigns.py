"""`CampaignRepository`: a campaign's record as campaign copy needs it (with its categories' names).

The data layer knows no LLM task: the marketing route turns the record into the copy task's facts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from server.db.models import Campaign, Category


def _category_keys(rules: dict[str, Any]) -> set[str]:
    return {k for key in ("categories", "exclude_categories") for k in rules.get(key) or [] if isinstance(k, str)}


class CampaignRepository:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def get(self, campaign_id: str) -> dict[str, Any] | None:
        """`id`, `name_zh`, `name_en`, `starts_at`, `ends_at`, `rules` and `categories` (key → (zh, en) name
        of each category the rules name), or None for an unknown campaign."""
        with self._sessions() as session:
            c = session.get(Campaign, campaign_id)
            if c is None:
                return None
            rules = dict(c.rules or {})
            keys = _category_keys(rules)
            names = (
                {
                    row.key: (row.name_zh, row.name_en)
                    for row in session.scalars(select(Category).where(Category.key.in_(keys)))
                }
                if keys
                else {}
            )
            return {
                "id": c.id,
                "name_zh": c.name_zh,
                "name_en": c.name_en,
                "starts_at": c.starts_at,
                "ends_at": c.ends_at,
                "rules": rules,
                "categories": names,
            }
