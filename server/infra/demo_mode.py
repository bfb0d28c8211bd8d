"""When demo mode is refused: the check `kefu serve` and the app make before anything starts.

Kept apart from the demo routes (`server.api.demo`), which import the whole runtime: `kefu serve` refuses a
misconfiguration in about a second instead of after importing the models' libraries (~4 s of CPU).
"""

from __future__ import annotations

from server.infra.locks import is_postgres
from server.settings import Settings


class DemoRefused(RuntimeError):
    """Demo mode was asked for where real customers may be served."""


def check_demo(settings: Settings, workers: int = 1) -> None:
    """Raise `DemoRefused` when demo mode is on with PostgreSQL or more than one worker."""
    if not settings.store.demo:
        return
    if workers > 1:
        raise DemoRefused("demo mode (KEFU_DEMO) runs on one worker only: it lists every demo customer with "
                          "their signature. Unset KEFU_DEMO to serve with several workers.")
    if is_postgres(settings.db.url):
        raise DemoRefused("demo mode (KEFU_DEMO) is refused on PostgreSQL, the production database: it lists "
                          "customers with their signatures, so anyone could be any of them. Unset KEFU_DEMO.")
