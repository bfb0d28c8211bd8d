"""Who a conversation is for: customers are who the store says they are, never who the browser says.

The store's page embeds the widget with the customer's id and `HMAC-SHA256(secret, customer_id)` (hex), the
identity-verification scheme of Intercom and Chatwoot; the store's backend may instead open a conversation
server-to-server with an API key. Without a valid proof the conversation is anonymous: it can ask about
policies and products, and no order of anyone's is looked up for it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from server.infra.logs import register_secret
from server.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CustomerIdentity:
    """Signs and verifies customer ids with the store's secret; recognises the store backend's API keys."""

    secret: bytes | None
    api_keys: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        for value in (self.secret, *self.api_keys):
            register_secret(value)  # never in a log line, whatever a caller formats

    def sign(self, customer_id: str) -> str:
        if self.secret is None:
            raise RuntimeError("no identity secret configured (KEFU_IDENTITY_SECRET)")
        return hmac.new(self.secret, customer_id.encode("utf-8"), hashlib.sha256).hexdigest()

    def verify(self, customer_id: str, signature: str | None) -> bool:
        """Is `signature` the store's for `customer_id`? Constant-time; False without a secret."""
        if self.secret is None or not signature:
            return False
        given = signature.strip().lower().encode("utf-8")  # bytes: compare_digest refuses non-ASCII str
        return hmac.compare_digest(self.sign(customer_id).encode("ascii"), given)

    def is_api_key(self, key: str | None) -> bool:
        if not key:
            return False
        given = key.encode("utf-8")
        return any(hmac.compare_digest(given, k) for k in self.api_keys)


def load_identity(settings: Settings) -> CustomerIdentity:
    """The configured secret; for the demo store without one, the secret kept in `identity.secret_file`."""
    conf = settings.identity
    keys = tuple(k.get_secret_value().encode("utf-8") for k in conf.api_keys if k.get_secret_value())
    if conf.secret is not None and conf.secret.get_secret_value():
        return CustomerIdentity(conf.secret.get_secret_value().encode("utf-8"), keys)
    if settings.store.demo:
        return CustomerIdentity(demo_secret(conf.secret_file), keys)
    log.warning("no KEFU_IDENTITY_SECRET: no customer signature verifies; conversations are anonymous unless "
                "the store's backend opens them with an API key")
    return CustomerIdentity(None, keys)


def demo_secret(path: Path) -> bytes:
    """The demo store's secret, made once (32 random bytes, hex) and kept in `path` (mode 0600).

    Workers that start together agree: the file appears whole or not at all (written aside, then hard-linked
    into place; whoever links second reads the first one's)."""
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(secrets.token_hex(32).encode("ascii"))
    try:
        os.link(aside, path)
    except FileExistsError:
        pass
    finally:
        aside.unlink(missing_ok=True)
    return path.read_bytes().strip()
