"""Operator accounts, login sessions, disabling (blocking calls: run them in a worker thread).

- An unknown username, a wrong password and a disabled account get the same answer (`InvalidCredentials`)
  after the same argon2 work, so the login form cannot be used to find out which usernames exist.
- Failed sign-ins are throttled per (client address, username) by `server.operators.throttle`, before this
  module is asked; nothing here locks an account, so a stranger's guesses never lock its operator out.
- Disabling an account ends all its sessions at once; a disabled account cannot sign in.
- Session tokens are `kefu_os_` and 256 random bits, shown once and stored as SHA-256 (the prefix lets logs
  mask them; sessions issued before it still verify, as only the hash of the whole string is kept).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from server.db.conversations import hash_token
from server.db.models import OPERATOR_ROLES
from server.db.operators import OperatorRepository, OperatorRow
from server.operators.passwords import Passwords, check_policy

SESSION_TTL = timedelta(hours=12)
COOKIE_NAME = "kefu_operator"
MAX_TOKEN_CHARS = 256
OPERATOR_SESSION_PREFIX = "kefu_os_"
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")


class LoginError(Exception):
    """A login the API refuses; `code`, `status` and `message` go to the client as they are."""

    code = "login_failed"
    status = 401

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidCredentials(LoginError):
    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__("Wrong username or password.")


class InvalidAccount(ValueError):
    """A new account or password that breaks a rule; the message is fit to show."""


@dataclass(frozen=True, slots=True)
class LoginResult:
    operator: OperatorRow
    token: str
    expires_at: datetime


def _utcnow() -> datetime:
    return datetime.now(UTC)


def normalize_username(username: str) -> str:
    return username.strip().casefold()


class OperatorAuth:
    """The one place that checks passwords and issues or reads sessions."""

    def __init__(
        self,
        repo: OperatorRepository,
        *,
        passwords: Passwords | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.repo = repo
        self.passwords = passwords or Passwords()
        self.clock = clock

    # -------------------------------------------------------------- accounts

    def register(self, *, username: str, display_name: str, role: str, password: str) -> OperatorRow:
        """Create an account after checking the username, name, role and password policy."""
        name = normalize_username(username)
        if not USERNAME.fullmatch(name):
            raise InvalidAccount("the username must be 2–64 characters: letters, digits, '.', '_' or '-', "
                                 "starting with a letter or digit")
        display = display_name.strip() or name
        if len(display) > 80:
            raise InvalidAccount("the display name must have at most 80 characters")
        if role not in OPERATOR_ROLES:
            raise InvalidAccount(f"the role must be one of {', '.join(OPERATOR_ROLES)}")
        self._check_password(password, name)
        return self.repo.create(username=name, display_name=display, role=role,
                                password_hash=self.passwords.hash(password), now=self.clock())

    def change_password(self, username: str, password: str) -> OperatorRow:
        """New password; every session of the account ends (`UnknownOperator` if there is no such account)."""
        name = normalize_username(username)
        self._check_password(password, name)
        return self.repo.set_password(name, self.passwords.hash(password))

    def disable(self, username: str) -> OperatorRow:
        """The account can no longer sign in, and every session of it ends now."""
        return self.repo.set_disabled(normalize_username(username), True, now=self.clock())

    def enable(self, username: str) -> OperatorRow:
        """The account may sign in again (with its password; old sessions stay ended)."""
        return self.repo.set_disabled(normalize_username(username), False)

    @staticmethod
    def _check_password(password: str, username: str) -> None:
        try:
            check_policy(password, username=username)
        except ValueError as exc:
            raise InvalidAccount(str(exc)) from exc

    # ----------------------------------------------------------------- login

    def login(self, username: str, password: str) -> LoginResult:
        now = self.clock()
        name = normalize_username(username)
        creds = self.repo.credentials(name) if USERNAME.fullmatch(name) else None
        if creds is None:
            self.passwords.verify(self.passwords.dummy_hash, password)  # same work as for a real account
            raise InvalidCredentials()
        operator = creds.operator
        ok = self.passwords.verify(creds.password_hash, password)
        if not ok or operator.disabled:  # a disabled account: the generic answer, no hint
            raise InvalidCredentials()
        rehashed = self.passwords.hash(password) if self.passwords.needs_rehash(creds.password_hash) else None
        self.repo.record_login(operator.id, password_hash=rehashed)
        token = OPERATOR_SESSION_PREFIX + secrets.token_urlsafe(32)
        expires_at = now + SESSION_TTL
        self.repo.create_session(operator.id, hash_token(token), now=now, expires_at=expires_at)
        self.repo.purge_sessions(now=now)  # housekeeping: logins are rare, and the delete uses an index
        return LoginResult(operator, token, expires_at)

    # -------------------------------------------------------------- sessions

    def authenticate(self, token: str | None) -> OperatorRow | None:
        """The operator a session token belongs to, if the session is still valid."""
        if not token or len(token) > MAX_TOKEN_CHARS:
            return None
        return self.repo.session_operator(hash_token(token), now=self.clock())

    def logout(self, token: str | None) -> None:
        if token and len(token) <= MAX_TOKEN_CHARS:
            self.repo.delete_session(hash_token(token))
