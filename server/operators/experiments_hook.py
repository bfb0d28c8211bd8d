"""Where the console's campaign readout and the marketer's chat find experiments, once the store has them.

Experiments (stratified A/B tests with their readouts) live in their own module; this one only looks for it, so
the campaign views work the same without it and never show experiments that do not exist. The provider is the
module `PROVIDER` with a function `experiments_summary(sessions, *, campaign_id=None) -> list[dict]`: one dict
per experiment, `{"id", "name", "status", "campaign_id", "arms": [{"name", "n", "conversions", "rate"}],
"uplift": {"abs", "rel", "low", "high"} | None, "p_value", "note"}` (what the console's experiment table reads).
Absent module or function: `None` ("not available"), which callers say in words.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

PROVIDER = "server.operators.experiments"
FUNCTION = "experiments_summary"


def experiments_summary(sessions: sessionmaker[Session], *,
                        campaign_id: str | None = None) -> list[dict[str, Any]] | None:
    """The experiments (of one campaign, or all), or None when the store has no experiments module."""
    try:
        module = importlib.import_module(PROVIDER)
    except ModuleNotFoundError as exc:
        if exc.name != PROVIDER:  # the module exists but something it imports is missing: a real error
            raise
        return None
    provider = getattr(module, FUNCTION, None)
    if provider is None:
        log.warning("%s has no %s(); experiments are not shown", PROVIDER, FUNCTION)
        return None
    return list(provider(sessions, campaign_id=campaign_id))
