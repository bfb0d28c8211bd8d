"""Field types for text that clients send and the databases store or look up.

PostgreSQL cannot hold a NUL character in text (psycopg refuses the whole statement), so a NUL anywhere
in such a field is refused at the boundary as invalid input, on SQLite too, rather than failing in the
database as a 500.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


StoredText = Annotated[str, AfterValidator(_storable)]
